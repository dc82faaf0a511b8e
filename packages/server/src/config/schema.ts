import { SUBJECT_TYPES } from '@warden/sdk';
import { z } from 'zod';
import { label, roleName, scopeToken } from '../identity/names.js';
import { KEY_PREFIX_PATTERN } from '../issue/api-key-format.js';
import { metadataSchema } from '../keys/metadata.js';
import { parseDuration } from '../util/duration.js';

/**
 * The single source of truth for Warden's configuration: shape, defaults, validation and the messages of
 * `warden config check`. Keys are snake_case in YAML; every object is strict, so a typo is an error.
 */
const duration = (what: string) =>
  z.union([z.number().int().nonnegative(), z.string()]).transform((value, ctx) => {
    if (typeof value === 'number') return value;
    const ms = parseDuration(value);
    if (ms === null) {
      ctx.addIssue({ code: 'custom', message: `${what} must be a duration like 500ms, 30s, 5m, 1h or 90d` });
      return z.NEVER;
    }
    return ms;
  });

/**
 * A whole number; a string of digits is accepted too, because `${VAR}` interpolation always yields strings
 * (`port: ${PORT:-8080}` must work).
 */
const wholeNumber = (inner: z.ZodNumber) =>
  z
    .union([z.number(), z.string()])
    .transform((value, ctx) => {
      if (typeof value === 'number') return value;
      if (!/^\s*-?\d+\s*$/.test(value)) {
        ctx.addIssue({ code: 'custom', message: `expected a whole number, got ${JSON.stringify(value)}` });
        return z.NEVER;
      }
      return Number(value);
    })
    .pipe(inner);

/** Names are held to the same alphabets as keys created through the API (SECURITY.md #50). */
const staticKeyIdentity = z.strictObject({
  subject: label,
  subject_type: z.enum(SUBJECT_TYPES).default('service'),
  name: label.optional(),
  tenant: label.nullable().default(null),
  admin: z.boolean().default(false),
  roles: z.array(roleName).default([]),
  scopes: z.array(scopeToken).default([]),
  metadata: metadataSchema.default({}),
});
export type StaticKeyIdentity = z.infer<typeof staticKeyIdentity>;

export const configSchema = z.strictObject({
  data_dir: z.string().min(1).default('.warden'),
  server: z
    .strictObject({
      host: z.string().min(1).default('127.0.0.1'),
      port: wholeNumber(z.number().int().min(0).max(65535)).default(8080),
      workers: wholeNumber(z.number().int().min(1).max(64)).default(1),
      /** Peers whose X-Forwarded-* / X-Original-* headers are believed (IPs or CIDRs). */
      trusted_proxies: z.array(z.string().min(1)).default(['127.0.0.1/8', '::1/128']),
      body_limit: wholeNumber(z.number().int().min(1024)).default(1_048_576),
    })
    .prefault({}),
  database: z
    .strictObject({
      /** `sqlite:<path>` or `postgres://...`; defaults to `sqlite:<data_dir>/warden.db`. */
      url: z.string().min(1).optional(),
      pool_size: wholeNumber(z.number().int().min(1).max(200)).default(10),
      /** PostgreSQL: a query with no answer after this long fails closed (503) instead of holding the request. */
      query_timeout: duration('database.query_timeout').default(10_000),
    })
    .prefault({}),
  secrets: z
    .strictObject({
      /** Server pepper for API key and client secret digests; generated into data_dir when absent. */
      pepper: z.string().optional(),
      /** Master key encrypting private signing keys at rest; generated into data_dir when absent. */
      master_key: z.string().optional(),
    })
    .prefault({}),
  log: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    })
    .prefault({}),
  api_keys: z
    .strictObject({
      prefix: z
        .string()
        .regex(KEY_PREFIX_PATTERN, 'prefix must be 2-16 of [a-z0-9], starting with a letter')
        .default('wdn'),
      default_expires_in: duration('api_keys.default_expires_in').optional(),
      cache: z
        .strictObject({
          max_entries: wholeNumber(z.number().int().min(0)).default(100_000),
          /** How long a verified key stays cached; revocations evict it earlier (see invalidation). */
          ttl: duration('api_keys.cache.ttl').default(300_000),
          /** How long an unknown key id is remembered as unknown, so garbage ids cannot load the store. */
          negative_ttl: duration('api_keys.cache.negative_ttl').default(1_000),
          /** At most this many unknown ids are remembered, apart from known keys: a scanner cannot evict those. */
          negative_max_entries: wholeNumber(z.number().int().min(0)).default(10_000),
        })
        .prefault({}),
      invalidation: z
        .strictObject({
          /** How often each instance polls the store for key changes made by other processes. */
          poll_interval: duration('api_keys.invalidation.poll_interval').default(250),
        })
        .prefault({}),
      last_used: z
        .strictObject({
          /** last_used_at is written behind in one batch per interval, never once per request. */
          flush_interval: duration('api_keys.last_used.flush_interval').default(10_000),
        })
        .prefault({}),
      /** Keys accepted without a database row: the map key is the plaintext key or `sha256:<hex>` of it. */
      static: z
        .record(z.string().min(16, 'a static API key must be at least 16 characters'), staticKeyIdentity)
        .default({}),
    })
    .prefault({}),
  audit: z
    .strictObject({
      /** Failed-verification events written per credential id per minute; the rest are counted, not written. */
      failures_per_minute: wholeNumber(z.number().int().min(0)).default(10),
      /** ... per peer address per minute, whatever credentials it sends (fresh random ids included). */
      failures_per_peer_per_minute: wholeNumber(z.number().int().min(0)).default(30),
      /** ... per instance per minute, over all peers: the most failure rows one instance writes. */
      failures_per_instance_per_minute: wholeNumber(z.number().int().min(0)).default(600),
    })
    .prefault({}),
});

export type WardenConfigInput = z.input<typeof configSchema>;
export type WardenConfig = z.output<typeof configSchema>;

/** Config paths whose values are secrets: printed as [redacted]. */
export const SECRET_CONFIG_PATHS = ['secrets.pepper', 'secrets.master_key'] as const;
