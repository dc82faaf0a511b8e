import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { didYouMean } from '@warden/sdk';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from './errors.js';
import { configFields } from './fields.js';
import { printableStaticKeys, REDACTED } from './redact.js';
import {
  CONFIG_FILE_OPTION,
  configSchema,
  SINGLE_KEY_OPTION,
  type WardenConfig,
  type WardenConfigInput,
} from './schema.js';

/**
 * Command-line flags that map onto configuration (they override the environment, which overrides the file). Each
 * property but `config` and `apiKey` is the `flag` metadata of a key in the schema, camel-cased as commander does.
 */
export interface ConfigFlags {
  config?: string;
  dataDir?: string;
  database?: string;
  host?: string;
  port?: string | number;
  workers?: string | number;
  apiKey?: string;
  logLevel?: string;
}

export interface LoadedConfig {
  config: WardenConfig;
  /** The YAML file read, if any. */
  file: string | null;
}

type Env = Record<string, string | undefined>;
type Tree = Record<string, unknown>;

const INTERPOLATION = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** A config path for messages; a plaintext static key (a secret) shows as its `[redacted]#N` label. */
function displayPath(path: readonly PropertyKey[], staticKeys: readonly string[]): string {
  if (path.length === 0) return '(root)';
  const parts = path.map(String);
  if (parts.length > 2 && parts[0] === 'api_keys' && parts[1] === 'static') {
    parts[2] = printableStaticKeys(staticKeys).get(parts[2]!) ?? REDACTED;
  }
  return parts.join('.');
}

/** The map keys under `api_keys.static` of a raw (unvalidated) configuration tree. */
function staticKeysOf(tree: unknown): string[] {
  const apiKeys = (tree as Tree | null)?.api_keys;
  const keys = apiKeys !== null && typeof apiKeys === 'object' ? (apiKeys as Tree).static : undefined;
  return keys !== null && typeof keys === 'object' && !Array.isArray(keys) ? Object.keys(keys) : [];
}

/** Replaces `${VAR}` and `${VAR:-default}` in every string of the parsed YAML; a missing variable is an error naming it. */
function interpolate(value: unknown, env: Env, path: string[], missing: string[], root: unknown): unknown {
  if (typeof value === 'string') {
    return value.replace(INTERPOLATION, (_match, name: string, fallback: string | undefined) => {
      const found = env[name];
      if (found !== undefined) return found;
      if (fallback !== undefined) return fallback;
      missing.push(`${displayPath(path, staticKeysOf(root))}: environment variable ${name} is not set`);
      return '';
    });
  }
  if (Array.isArray(value)) {
    const itemPath = (i: number) => [...path.slice(0, -1), `${path.at(-1) ?? ''}[${i}]`];
    return value.map((item, i) => interpolate(item, env, itemPath(i), missing, root));
  }
  if (value !== null && typeof value === 'object') {
    const out: Tree = {};
    for (const [key, item] of Object.entries(value)) {
      // Map keys are interpolated too: static API keys are keyed by the key itself, usually `${VAR}`.
      const interpolatedKey = interpolate(key, env, path, missing, root) as string;
      out[interpolatedKey] = interpolate(item, env, [...path, key], missing, root);
    }
    return out;
  }
  return value;
}

function readConfigFile(file: string, env: Env): Tree {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read config file ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text) ?? {};
  } catch (error) {
    throw new ConfigError(`config file ${file} is not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`config file ${file} must hold a mapping at the top level`);
  }
  const missing: string[] = [];
  const interpolated = interpolate(parsed, env, [], missing, parsed) as Tree;
  if (missing.length > 0) throw new ConfigError(`config file ${file}: ${missing.join('; ')}`, missing);
  return interpolated;
}

function setPath(tree: Tree, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = tree;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[part] = {};
    node = node[part] as Tree;
  }
  node[parts.at(-1)!] = value;
}

function toWholeNumber(source: string, value: string | number): number {
  const whole = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(whole)) throw new ConfigError(`${source} must be a whole number, got ${JSON.stringify(value)}`);
  return whole;
}

/** `--data-dir` as its ConfigFlags property (`dataDir`), the name commander gives the option. */
function flagProperty(flag: string): string {
  return flag.replace(/^--/, '').replace(/-([a-z])/g, (_match, letter: string) => letter.toUpperCase());
}

/** Overrides from the environment or the flags, by the env/flag metadata of each key in the schema. */
const OVERRIDABLE = configFields().filter((field) => !field.section && (field.env || field.flag));

/** Walks the schema to the object at `path` to list the keys it knows (for did-you-mean). */
function knownKeysAt(path: PropertyKey[]): string[] {
  let schema: z.ZodType = configSchema;
  for (const part of [...path, null]) {
    // Unwrap defaults, prefaults, optionals, pipes and transforms until an object or record shows.
    for (let guard = 0; guard < 10; guard++) {
      const def = (schema as unknown as { _zod: { def: Record<string, unknown> } })._zod.def;
      if (def.type === 'object' || def.type === 'record') break;
      const inner = (def.innerType ?? def.in) as z.ZodType | undefined;
      if (!inner) return [];
      schema = inner;
    }
    const def = (schema as unknown as { _zod: { def: Record<string, unknown> } })._zod.def;
    if (part === null) return def.type === 'object' ? Object.keys(def.shape as object) : [];
    if (def.type === 'object') schema = (def.shape as Record<string, z.ZodType>)[String(part)] ?? schema;
    else if (def.type === 'record') schema = def.valueType as z.ZodType;
    else return [];
  }
  return [];
}

/** One line per problem, with its path; `input` (the validated tree) lets plaintext static keys print redacted. */
export function formatConfigIssues(error: z.ZodError, input?: unknown): string[] {
  const problems: string[] = [];
  const staticKeys = staticKeysOf(input);
  for (const issue of error.issues) {
    const where = displayPath(issue.path, staticKeys);
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeysAt(issue.path);
      for (const key of issue.keys) {
        const guess = didYouMean(key, known);
        problems.push(
          `${issue.path.length > 0 ? `${where}.` : ''}${key}: unknown key${guess ? ` (did you mean "${guess}"?)` : ''}; valid keys here: ${known.join(', ')}`,
        );
      }
    } else {
      // A bad record key (a static API key) carries the real reason in its nested issues.
      const message = issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message;
      problems.push(`${where}: ${message}`);
    }
  }
  return problems;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}

/** Validates a configuration object (YAML shape) and returns it frozen, with defaults applied. */
export function parseConfig(input: WardenConfigInput | Tree, source = 'configuration'): WardenConfig {
  const result = configSchema.safeParse(input);
  if (!result.success) {
    const problems = formatConfigIssues(result.error, input);
    throw new ConfigError(`invalid ${source}:\n  - ${problems.join('\n  - ')}`, problems);
  }
  const config = result.data;
  if (!config.database.url) config.database.url = `sqlite:${resolve(config.data_dir, 'warden.db')}`;
  return deepFreeze(config);
}

/** Loads warden.yaml (if any), then WARDEN_* environment, then flags, and validates the result. */
export function loadConfig(flags: ConfigFlags = {}, env: Env = process.env, cwd = process.cwd()): LoadedConfig {
  const explicit = flags.config ?? env[CONFIG_FILE_OPTION.env];
  let file: string | null = null;
  if (explicit) {
    file = resolve(cwd, explicit);
    if (!existsSync(file)) throw new ConfigError(`config file ${file} does not exist`);
  } else if (existsSync(resolve(cwd, 'warden.yaml'))) {
    file = resolve(cwd, 'warden.yaml');
  }
  const tree: Tree = file ? readConfigFile(file, env) : {};

  for (const field of OVERRIDABLE) {
    const value = field.env === undefined ? undefined : env[field.env];
    if (value === undefined || value === '') continue;
    setPath(tree, field.path, field.integer ? toWholeNumber(field.env!, value) : value);
  }
  for (const field of OVERRIDABLE) {
    const value = field.flag === undefined ? undefined : (flags as Record<string, unknown>)[flagProperty(field.flag)];
    if (value === undefined) continue;
    setPath(tree, field.path, field.integer ? toWholeNumber(field.flag!, value as string | number) : value);
  }

  // Single-key mode: one admin key given on the command line or in WARDEN_API_KEY.
  const singleKey = flags.apiKey ?? env[SINGLE_KEY_OPTION.env];
  if (singleKey) {
    if (singleKey.length < 16) throw new ConfigError(`${SINGLE_KEY_OPTION.flag} must be at least 16 characters`);
    setPath(tree, `api_keys.static`, {
      ...((tree.api_keys as Tree | undefined)?.static as Tree | undefined),
      [singleKey]: { subject: 'admin', subject_type: 'service', admin: true, name: 'single-key mode' },
    });
  }

  if (typeof tree.data_dir === 'string') tree.data_dir = resolve(cwd, tree.data_dir);
  else tree.data_dir = resolve(cwd, '.warden');
  return { config: parseConfig(tree, file ? `configuration (${file})` : 'configuration'), file };
}
