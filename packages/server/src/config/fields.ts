import { z } from 'zod';
import { type ConfigFieldMeta, configSchema, DURATION_TYPE } from './schema.js';

/** One key of the configuration, as its schema and metadata describe it. */
export interface ConfigField {
  /** Full dotted path; `<key>` stands for a map key (`api_keys.static.<key>.subject`). */
  path: string;
  /** A section: a mapping of further keys, listed after it. */
  section: boolean;
  description: string | undefined;
  /** The type in words, for the docs. */
  type: string;
  /** The default in Markdown, as the docs show it; undefined when the key has none. */
  defaultText: string | undefined;
  /** The key must be given (no default, not optional). */
  required: boolean;
  env: string | undefined;
  flag: string | undefined;
  secret: boolean;
  /** A whole number (its environment variable and flag are read as one). */
  integer: boolean;
  /** A duration: milliseconds in the configuration, `5m` or `30s` as written by people and printed for them. */
  duration: boolean;
}

type Def = Record<string, unknown> & { type: string };
const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

function metaOf(schema: z.ZodType): Partial<ConfigFieldMeta> {
  const meta = z.globalRegistry.get(schema) ?? {};
  const text = (key: string) => (typeof meta[key] === 'string' ? (meta[key] as string) : undefined);
  const out: Partial<ConfigFieldMeta> = {};
  for (const key of ['description', 'env', 'flag', 'defaultText', 'type'] as const) {
    const value = text(key);
    if (value !== undefined) out[key] = value;
  }
  if (meta.secret) out.secret = true;
  return out;
}

/** The schema under defaults, prefaults, optionals and nullables, with what they said and the metadata on the way. */
function unwrap(schema: z.ZodType) {
  let meta: Partial<ConfigFieldMeta> = {};
  let defaultValue: { value: unknown } | undefined;
  let optional = false;
  let nullable = false;
  let core = schema;
  for (;;) {
    // The outermost metadata wins: a field's own description over that of the helper it is built from.
    meta = { ...metaOf(core), ...meta };
    const def = defOf(core);
    if (def.type === 'default') defaultValue ??= { value: def.defaultValue };
    else if (def.type === 'optional') optional = true;
    else if (def.type === 'nullable') nullable = true;
    else if (def.type !== 'prefault') break;
    core = def.innerType as z.ZodType;
  }
  return { core, meta, defaultValue, optional, nullable };
}

/** The innermost schema that decides the output: the end of pipes, or their start when it ends in a transform. */
function outputOf(schema: z.ZodType): z.ZodType {
  const def = defOf(schema);
  if (def.type !== 'pipe') return schema;
  const out = def.out as z.ZodType;
  return outputOf(defOf(out).type === 'transform' ? (def.in as z.ZodType) : out);
}

function isInteger(schema: z.ZodType): boolean {
  const out = outputOf(schema);
  return defOf(out).type === 'number' && (out as z.ZodNumber).isInt === true;
}

function typeOf(schema: z.ZodType): string {
  const { core, meta, nullable } = unwrap(schema);
  const type = meta.type ?? coreTypeOf(core);
  return nullable ? `${type} or \`null\`` : type;
}

function coreTypeOf(core: z.ZodType): string {
  const out = outputOf(core);
  const def = defOf(out);
  switch (def.type) {
    case 'string': {
      const min = (out as z.ZodString).minLength ?? 0;
      return min > 1 ? `string of at least ${min} characters` : 'string';
    }
    case 'number': {
      const number = out as z.ZodNumber;
      const name = number.isInt ? 'integer' : 'number';
      // `.int()` bounds a number to the safe integers: no bound worth printing.
      const bound = (value: number | null) =>
        value !== null && Math.abs(value) < Number.MAX_SAFE_INTEGER ? value : null;
      const min = bound(number.minValue);
      const max = bound(number.maxValue);
      if (min !== null && max !== null) return `${name}, ${min} to ${max}`;
      if (min !== null) return `${name}, at least ${min}`;
      if (max !== null) return `${name}, at most ${max}`;
      return name;
    }
    case 'boolean':
      return 'boolean';
    case 'enum':
      return `one of ${(out as z.ZodEnum).options.map((option) => `\`${String(option)}\``).join(', ')}`;
    case 'array':
      return `list of ${typeOf(def.element as z.ZodType)}`;
    case 'object':
      return 'mapping';
    case 'record':
      return `map of ${typeOf(def.keyType as z.ZodType)} to ${typeOf(def.valueType as z.ZodType)}`;
    default:
      return def.type;
  }
}

const UNITS: [string, number][] = [
  ['w', 604_800_000],
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
];

/** Milliseconds as the largest unit that holds them exactly: 300000 is `5m`. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of UNITS) if (ms > 0 && ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

/** A default value as Markdown code: a string as it is, anything else as JSON (which YAML reads too). */
function formatDefault(value: unknown, isDuration: boolean): string {
  if (isDuration && typeof value === 'number') return `\`${formatDuration(value)}\``;
  return `\`${typeof value === 'string' ? value : JSON.stringify(value)}\``;
}

function walk(schema: z.ZodType, path: string[], out: ConfigField[]): void {
  const { core, meta, defaultValue, optional, nullable } = unwrap(schema);
  const def = defOf(core);
  const isDuration = meta.type === DURATION_TYPE;
  const field: ConfigField = {
    path: path.join('.'),
    section: def.type === 'object',
    description: meta.description,
    type: typeOf(schema),
    defaultText: meta.defaultText ?? (defaultValue ? formatDefault(defaultValue.value, isDuration) : undefined),
    required: defaultValue === undefined && !optional && !nullable && def.type !== 'object',
    env: meta.env,
    flag: meta.flag,
    secret: Boolean(meta.secret),
    integer: isInteger(core),
    duration: isDuration,
  };
  if (path.length > 0) out.push(field);
  if (def.type === 'object') {
    for (const [key, value] of Object.entries(def.shape as Record<string, z.ZodType>)) walk(value, [...path, key], out);
  } else if (def.type === 'array') {
    // A list of mappings (`issuers`, `rules`): its entries' keys are documented as `issuers[].<key>`.
    const element = unwrap(def.element as z.ZodType).core;
    if (defOf(element).type === 'object') {
      const listPath = [...path.slice(0, -1), `${path.at(-1)}[]`];
      for (const [key, item] of Object.entries(defOf(element).shape as Record<string, z.ZodType>)) {
        walk(item, [...listPath, key], out);
      }
    }
  } else if (def.type === 'record') {
    const value = def.valueType as z.ZodType;
    if (defOf(unwrap(value).core).type === 'object') {
      for (const [key, item] of Object.entries(defOf(unwrap(value).core).shape as Record<string, z.ZodType>)) {
        walk(item, [...path, '<key>', key], out);
      }
    }
  }
}

let fields: readonly ConfigField[] | undefined;

/** Every key of the configuration in schema order, each section before its keys: the list the loader and the docs use. */
export function configFields(): readonly ConfigField[] {
  if (!fields) {
    const out: ConfigField[] = [];
    walk(configSchema, [], out);
    fields = Object.freeze(out.map((field) => Object.freeze(field)));
  }
  return fields;
}

/** The key at `path`; throws for a path the schema does not have (a mistake in the code, not in a config). */
export function configField(path: string): ConfigField {
  const field = configFields().find((item) => item.path === path);
  if (!field) throw new Error(`no configuration key ${path}`);
  return field;
}

/** Config paths whose values are secrets: printed as [redacted]. */
export const SECRET_CONFIG_PATHS: readonly string[] = configFields()
  .filter((field) => field.secret)
  .map((field) => field.path);
