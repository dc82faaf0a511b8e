import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { didYouMean } from '@warden/sdk';
import type { z } from 'zod';
import { looksLikeJwt } from '../authn/presented.js';
import { weakStaticKeyReason } from '../authn/static-api-key.js';
import { sha256Hex } from '../issue/api-key-hash.js';
import { unknownEnvironmentWarnings } from './environment.js';
import { ConfigError } from './errors.js';
import { configFields } from './fields.js';
import { configIssueMessage } from './issue-messages.js';
import { HASHED_STATIC_KEY, printableStaticKeys, REDACTED } from './redact.js';
import {
  CONFIG_FILE_OPTION,
  configSchema,
  SINGLE_KEY_OPTION,
  type WardenConfig,
  type WardenConfigInput,
} from './schema.js';
import { parseYamlFile } from './yaml-file.js';

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
  /** What is valid but likely a mistake (an unknown WARDEN_* variable, a weak static key); never a secret. */
  warnings: string[];
}

type Env = Record<string, string | undefined>;
type Tree = Record<string, unknown>;
/** Config paths set by a flag or an environment variable, to the name of that flag or variable. */
type Origins = ReadonlyMap<string, string>;

const INTERPOLATION = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Where a problem is, for messages: the flag or environment variable that set the value (`--port`, `WARDEN_PORT`),
 * else its config path, with a plaintext static key (a secret) shown as its `[redacted]#N` label.
 */
function displayPath(
  path: readonly PropertyKey[],
  staticKeys: readonly string[],
  origins: Origins = new Map(),
): string {
  if (path.length === 0) return '(root)';
  const parts = path.map(String);
  for (let length = parts.length; length > 0; length--) {
    const origin = origins.get(parts.slice(0, length).join('.'));
    if (origin) return origin;
  }
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
  const parsed = parseYamlFile(file, text) ?? {};
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

/**
 * One line per problem, with its path; `input` (the validated tree) lets plaintext static keys print redacted, and
 * `origins` names the flag or environment variable behind a value instead of its path.
 */
export function formatConfigIssues(error: z.ZodError, input?: unknown, origins?: Origins): string[] {
  const problems: string[] = [];
  const staticKeys = staticKeysOf(input);
  for (const issue of error.issues) {
    const where = displayPath(issue.path, staticKeys, origins);
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
  return validateConfig(input, source, new Map());
}

function validateConfig(input: WardenConfigInput | Tree, source: string, origins: Origins): WardenConfig {
  const result = configSchema.safeParse(input, { error: configIssueMessage });
  if (!result.success) {
    const problems = formatConfigIssues(result.error, input, origins);
    throw new ConfigError(`invalid ${source}:\n  - ${problems.join('\n  - ')}`, problems);
  }
  const config = result.data;
  if (!config.database.url) config.database.url = `sqlite:${resolve(config.data_dir, 'warden.db')}`;
  return deepFreeze(config);
}

/** Warnings for plaintext static keys that look weak; each named by its `[redacted]#N` label, never by itself. */
function weakStaticKeyWarnings(staticKeys: readonly string[]): string[] {
  const labels = printableStaticKeys(staticKeys);
  return staticKeys.flatMap((key) => {
    const reason = HASHED_STATIC_KEY.test(key) ? null : weakStaticKeyReason(key);
    return reason ? [weakKeyWarning(`api_keys.static.${labels.get(key)}`, reason)] : [];
  });
}

function weakKeyWarning(where: string, reason: string): string {
  return `${where}: weak static API key (${reason}); use a long random one, e.g. from openssl rand -base64 32`;
}

/**
 * Single-key mode: one admin key given with --api-key or WARDEN_API_KEY, added to `api_keys.static` as its digest.
 * The plaintext never enters the configuration, so it is neither kept in memory with it nor reported as a key
 * written in plaintext in a file, which the operator did not do.
 */
function addSingleKey(tree: Tree, flags: ConfigFlags, env: Env, origins: Map<string, string>, warnings: string[]) {
  const fromFlag = flags.apiKey !== undefined;
  const key = fromFlag ? flags.apiKey : env[SINGLE_KEY_OPTION.env] || undefined;
  if (key === undefined) return;
  const origin = fromFlag ? SINGLE_KEY_OPTION.flag : SINGLE_KEY_OPTION.env;
  if (key.length < 16) throw new ConfigError(`${origin}: must be at least 16 characters`);
  if (looksLikeJwt(key)) throw new ConfigError(`${origin}: must not have the shape of a JWT (eyJ….….…)`);
  const reason = weakStaticKeyReason(key);
  if (reason) warnings.push(weakKeyWarning(origin, reason));
  const entry = `sha256:${sha256Hex(key)}`;
  setPath(tree, 'api_keys.static', {
    ...((tree.api_keys as Tree | undefined)?.static as Tree | undefined),
    [entry]: { subject: 'admin', subject_type: 'service', admin: true, name: 'single-key mode' },
  });
  origins.set(`api_keys.static.${entry}`, origin);
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
  const warnings = unknownEnvironmentWarnings(env);

  // The schema reads numbers given as strings, so values are set as given and a problem names where they came from.
  const origins = new Map<string, string>();
  for (const field of OVERRIDABLE) {
    const value = field.env === undefined ? undefined : env[field.env];
    if (value === undefined || value === '') continue;
    setPath(tree, field.path, value);
    origins.set(field.path, field.env!);
  }
  for (const field of OVERRIDABLE) {
    const value = field.flag === undefined ? undefined : (flags as Record<string, unknown>)[flagProperty(field.flag)];
    if (value === undefined) continue;
    setPath(tree, field.path, value);
    origins.set(field.path, field.flag!);
  }
  addSingleKey(tree, flags, env, origins, warnings);

  if (typeof tree.data_dir === 'string') tree.data_dir = resolve(cwd, tree.data_dir);
  else tree.data_dir = resolve(cwd, '.warden');
  const config = validateConfig(tree, file ? `configuration (${file})` : 'configuration', origins);
  warnings.push(...weakStaticKeyWarnings(Object.keys(config.api_keys.static)));
  return { config, file, warnings };
}
