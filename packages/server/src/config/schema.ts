import { SUBJECT_TYPES } from '@warden/sdk';
import { ASYMMETRIC_ALGORITHMS, VERIFIER_DEFAULTS } from '@warden/sdk/verifier';
import { z } from 'zod';
import { looksLikeJwt } from '../authn/presented.js';
import { label, roleName, scopeToken } from '../identity/names.js';
import { KEY_PREFIX_PATTERN } from '../issue/api-key-format.js';
import { metadataSchema } from '../keys/metadata.js';
import { defaultRuleSchema, ruleSchema } from '../rules/config.js';
import { RuleSet, RuleSetError } from '../rules/rule-set.js';
import { JWKS_MAX_AGE_SECONDS, SIGNING_ALGORITHMS } from '../signing-keys/algorithms.js';
import { parseDuration } from '../util/duration.js';
import { ipOrCidrProblem } from './network.js';

/**
 * The single source of truth for Warden's configuration: shape, defaults, validation, the messages of
 * `warden config check`, and (through each key's metadata) its environment variable, its flag and its
 * documentation. Keys are snake_case in YAML; every object is strict, so a typo is an error.
 * docs/configuration.md is generated from this file (`npm run docs:config`).
 */

/** What the loader and the docs know about a key beyond its validation, attached with `.meta()`. */
export type ConfigFieldMeta = {
  /** For docs/configuration.md: what the key does, in a sentence or two. */
  description: string;
  /** The environment variable that sets the key: over the file, under the flag. */
  env?: string;
  /** The command-line flag that sets the key, over everything else. */
  flag?: string;
  /** A secret: printed as [redacted] by `config check`, never echoed in a problem. */
  secret?: boolean;
  /** The default as the docs show it (Markdown), where it is computed rather than a value in the schema. */
  defaultText?: string;
  /** The type as the docs show it, where the one derived from the schema would read poorly. */
  type?: string;
};

/** `schema` with its metadata; `.meta()` registers a copy in zod's global registry, so shared schemas stay bare. */
const documented = <T extends z.ZodType>(schema: T, meta: ConfigFieldMeta): T => schema.meta(meta);

/** The docs type of a duration (its default prints as `5m` rather than in milliseconds). */
export const DURATION_TYPE = 'duration';

/** Minimum length of a configured pepper or master key: 32 characters (e.g. `openssl rand -base64 32`). */
export const MIN_SECRET_LENGTH = 32;

/** Options that choose where configuration comes from rather than set a key; documented with the keys. */
export const CONFIG_FILE_OPTION = {
  flag: '--config',
  env: 'WARDEN_CONFIG',
  description: 'The YAML configuration file; without it, `warden.yaml` in the working directory if there is one.',
} as const;
export const SINGLE_KEY_OPTION = {
  flag: '--api-key',
  env: 'WARDEN_API_KEY',
  description:
    'Single-key mode: adds this key (at least 16 characters) to `api_keys.static` as an admin key (subject `admin`).',
} as const;

/** A duration: milliseconds, or text like `5m`. Messages say the rule only: the path is added where they print. */
const duration = () =>
  z
    .union([z.number().int().nonnegative(), z.string()])
    .transform((value, ctx) => {
      if (typeof value === 'number') return value;
      const ms = parseDuration(value);
      if (ms === null) {
        ctx.addIssue({ code: 'custom', message: 'must be a duration like 500ms, 30s, 5m, 1h or 90d' });
        return z.NEVER;
      }
      return ms;
    })
    .meta({ type: DURATION_TYPE });

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
        ctx.addIssue({ code: 'custom', message: `must be a whole number, got ${JSON.stringify(value)}` });
        return z.NEVER;
      }
      return Number(value);
    })
    .pipe(inner);

/** A pepper or master key: its value never appears in a problem (only the path and the rule). */
const secret = () =>
  z.string().min(MIN_SECRET_LENGTH, `too short, at least ${MIN_SECRET_LENGTH} characters are required`);

/** An IP address or CIDR; the same rule TrustedProxies applies when it builds its list. */
const ipOrCidr = z
  .string()
  .min(1)
  .superRefine((entry, ctx) => {
    const problem = ipOrCidrProblem(entry);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

/**
 * Warden's issuer URL: absolute http(s), no query, fragment or credentials; normalized (lower-case scheme and host,
 * no trailing slash), since relying parties compare `iss` as a string.
 */
const issuerUrl = z
  .string()
  .transform((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be an absolute http(s) URL, e.g. https://auth.example.com' });
      return z.NEVER;
    }
    const problem =
      url.protocol !== 'http:' && url.protocol !== 'https:'
        ? 'must be an http or https URL'
        : value.includes('?') || value.includes('#')
          ? 'must not have a query or a fragment'
          : url.username !== '' || url.password !== ''
            ? 'must not hold a user name or password'
            : null;
    if (problem) {
      ctx.addIssue({ code: 'custom', message: problem });
      return z.NEVER;
    }
    return url.href.replace(/\/+$/, '');
  })
  .meta({ type: 'absolute http(s) URL' });

/**
 * An external issuer's URL, kept exactly as written: it is compared with the `iss` of its tokens as a string, and
 * issuers differ on the trailing slash (Auth0 has one, Keycloak does not).
 */
const exactUrl = z
  .string()
  .refine((value) => {
    try {
      return ['http:', 'https:'].includes(new URL(value).protocol) && !value.includes('#');
    } catch {
      return false;
    }
  }, 'must be an absolute http(s) URL, e.g. https://idp.example.com/realms/main')
  .meta({ type: 'absolute http(s) URL' });

/** One or more non-empty strings; a single one may be written without a list. */
const oneOrMore = (what: string) =>
  z
    .union([z.string().min(1), z.array(z.string().min(1)).min(1, `must list at least one ${what}`)])
    .transform((value) => (typeof value === 'string' ? [value] : value));

/**
 * The JWS algorithms accepted from an external issuer: required (no default, SECURITY.md #1), never `none`, and
 * asymmetric only: an issuer with a JWKS must never have its public key taken as an HMAC secret (#2).
 */
const issuerAlgorithms = z.array(z.string()).superRefine((algorithms, ctx) => {
  if (algorithms.length === 0) {
    ctx.addIssue({ code: 'custom', message: 'must list the algorithms its tokens are signed with, e.g. [RS256]' });
  }
  for (const alg of algorithms) {
    const message =
      alg.toLowerCase() === 'none'
        ? '"none" is never accepted'
        : /^HS\d+$/.test(alg)
          ? `${alg} (HMAC) is refused: an issuer with a JWKS signs with asymmetric keys`
          : (ASYMMETRIC_ALGORITHMS as readonly string[]).includes(alg)
            ? null
            : `unknown algorithm ${JSON.stringify(alg)}; one of ${ASYMMETRIC_ALGORITHMS.join(', ')}`;
    if (message) ctx.addIssue({ code: 'custom', message });
  }
});

/** An external OIDC issuer whose JWT access tokens Warden accepts beside its own. */
const trustedIssuer = z.strictObject({
  issuer: documented(exactUrl, {
    description:
      'The exact `iss` of its tokens (compared as a string, trailing slash included); its discovery document is ' +
      'at `<issuer>/.well-known/openid-configuration` and must name this issuer.',
  }),
  audience: documented(oneOrMore('audience'), {
    description: "A token is accepted when its `aud` holds one of these (this Warden's or the services' identifiers).",
    type: 'string or list of strings',
  }),
  jwks_uri: documented(exactUrl.optional(), {
    description: 'Its JWKS URL; without it, the `jwks_uri` of its discovery document.',
  }),
  algorithms: documented(issuerAlgorithms, {
    description: 'The JWS algorithms its tokens are signed with (required; asymmetric only, never `none`).',
    type: 'list of JWS algorithms',
  }),
  typ: documented(oneOrMore('type').default([VERIFIER_DEFAULTS.typ]), {
    description:
      'Accepted `typ` headers. `at+jwt` is RFC 9068; list `JWT` too for issuers whose access tokens say so ' +
      '(ID tokens are still refused by their `nonce`/`at_hash`).',
    type: 'string or list of strings',
  }),
  clock_skew: documented(duration().default(VERIFIER_DEFAULTS.clockSkew), {
    description: "Leeway when checking a token's `exp`, `nbf` and `iat`.",
  }),
  max_token_age: documented(duration().optional(), {
    description: 'When set, a token issued (`iat`) longer ago than this is refused, whatever its `exp`.',
  }),
  subject_type: documented(z.enum(SUBJECT_TYPES).optional(), {
    description:
      'The subject type of its principals. Without it: `service` when `client_id` equals `sub` (client ' +
      'credentials), `user` otherwise.',
  }),
  claims: documented(
    z
      .strictObject({
        subject: documented(z.string().min(1).default('sub'), { description: 'The claim (dot path) of the subject.' }),
        tenant: documented(z.string().min(1).optional(), {
          description: 'The claim of the tenant; without it, the tenant is null.',
        }),
        roles: documented(z.array(z.string().min(1)).default([]), {
          description: 'Claims holding role lists, e.g. `realm_access.roles`, `resource_access.orders.roles`.',
          type: 'list of claim paths',
        }),
        scopes: documented(z.array(z.string().min(1)).default(['scope', 'scp']), {
          description: 'Claims holding scopes: a space-separated string (`scope`) or a list (`scp`).',
          type: 'list of claim paths',
        }),
        admin_role: documented(z.string().min(1).optional(), {
          description: 'A role that makes the principal an administrator.',
        }),
        admin_claim: documented(z.string().min(1).optional(), {
          description: 'A boolean claim that makes the principal an administrator when `true`.',
        }),
      })
      .prefault({}),
    { description: 'How its claims make the principal.' },
  ),
  jwks: documented(
    z
      .strictObject({
        timeout: documented(duration().default(VERIFIER_DEFAULTS.fetchTimeout), {
          description: 'A JWKS or discovery request fails after this long (the decision is then 503).',
        }),
        cooldown: documented(duration().default(VERIFIER_DEFAULTS.cooldown), {
          description: 'At most one JWKS refetch per cooldown for unknown kids (random kids cannot flood the issuer).',
        }),
        max_age: documented(duration().default(VERIFIER_DEFAULTS.cacheMaxAge), {
          description: 'Fetched keys are refetched after this long.',
        }),
        stale_if_error: documented(duration().default(VERIFIER_DEFAULTS.staleIfError), {
          description:
            'While refetching fails, keys past `max_age` are still used this long; after it, its tokens are 503.',
        }),
      })
      .prefault({}),
    { description: 'How its keys are fetched and cached.' },
  ),
  allow_insecure_http: documented(z.boolean().default(false), {
    description: 'Plain http to a host other than loopback, for its discovery and JWKS. Never in production.',
  }),
});

/** Names are held to the same alphabets as keys created through the API (SECURITY.md #50). */
const staticKeyIdentity = z.strictObject({
  subject: documented(label, { description: 'The subject the key authenticates as.' }),
  subject_type: documented(z.enum(SUBJECT_TYPES).default('service'), { description: 'The kind of subject.' }),
  name: documented(label.optional(), { description: 'A name for the key.' }),
  tenant: documented(label.nullable().default(null), {
    description: 'The tenant of the principal; `null` for none.',
  }),
  admin: documented(z.boolean().default(false), { description: 'Whether the key may use the admin API.' }),
  roles: documented(z.array(roleName).default([]), {
    description: 'Roles of the principal.',
    type: 'list of role names',
  }),
  scopes: documented(z.array(scopeToken).default([]), {
    description: 'Scopes of the principal.',
    type: 'list of scopes',
  }),
  metadata: documented(metadataSchema.default({}), {
    description: 'A JSON object attached to the principal: at most 8 KiB, nested at most 32 levels.',
    type: 'JSON object',
  }),
});
export type StaticKeyIdentity = z.infer<typeof staticKeyIdentity>;

/** The forwarded client-certificate headers Warden can read, each in its own format (src/mtls/forwarded/). */
export const CERTIFICATE_HEADERS = ['x-client-cert', 'client-cert', 'x-forwarded-client-cert'] as const;

/** A registry answer is cached at most this long: an unpinned key must stop working within a bounded time. */
export const MAX_REGISTRY_CACHE_TTL = 3_600_000;

const mtlsSection = z
  .strictObject({
    proxy_headers: documented(z.array(z.enum(CERTIFICATE_HEADERS)).default([]), {
      description:
        'Headers a trusted proxy (`server.trusted_proxies`) passes the client certificate in: `x-client-cert` ' +
        '(URL-escaped PEM, nginx `$ssl_client_escaped_cert`), `client-cert` (RFC 9440), `x-forwarded-client-cert` ' +
        '(Envoy XFCC). List only the headers your proxies set or clear: one a client could send through the proxy ' +
        "would let it present a copy of anyone's certificate. From any other peer they are ignored. Empty: only " +
        "the certificate of Warden's own TLS listener is read.",
      type: 'list of header names',
    }),
    ca_file: documented(z.string().min(1).optional(), {
      description:
        'PEM bundle of trusted CAs: a certificate must be signed by one of them (and be within its validity ' +
        'dates). Absent: no chain check, the pin alone decides.',
    }),
    subject_from: documented(z.enum(['organization', 'common_name']).default('organization'), {
      description: "Which subject attribute names the principal and its pin: the certificate's O or its CN.",
    }),
    subject_type: documented(z.enum(SUBJECT_TYPES).default('service'), {
      description: 'The subject type of principals proven by a client certificate.',
    }),
    pins: documented(
      z
        .strictObject({
          registry: documented(z.enum(['store', 'remote', 'off']).default('store'), {
            description:
              "Where the expected public key of each subject is: `store` (Warden's database, `warden certs pin`), " +
              '`remote` (an HTTP registry, `pins.endpoint`), or `off` (no pinning: `ca_file` must be set).',
          }),
          cache_ttl: documented(
            duration()
              .default(1_000)
              .refine((ms) => ms <= MAX_REGISTRY_CACHE_TTL, 'must be at most 1h'),
            {
              description:
                'How long a registered key (or its absence) is remembered per subject. An unpin in this process ' +
                'takes effect at once; one made elsewhere (another instance, the remote registry) within this time.',
            },
          ),
          endpoint: documented(z.url().optional(), {
            description:
              'The remote registry: `GET {endpoint}/{subject}` answers `{"public_key": "<PEM or base64 SPKI>"}`, ' +
              '404 when none is registered. Any other answer, or none within `timeout`, denies (503).',
          }),
          timeout: documented(duration().default(2_000), { description: 'Longest wait for the remote registry.' }),
          allow_insecure_http: documented(z.boolean().default(false), {
            description:
              'Plain http to a registry host other than loopback. Whoever can alter its answers can register any ' +
              'key for any subject: never in production.',
          }),
          cache_max_entries: documented(wholeNumber(z.number().int().min(0)).default(10_000), {
            description: 'Subjects whose registered key is remembered (the oldest is forgotten first).',
          }),
        })
        .prefault({}),
      { description: 'Public-key pinning: the registry of the key each certificate subject must hold.' },
    ),
    cache: documented(
      z
        .strictObject({
          max_entries: documented(wholeNumber(z.number().int().min(0)).default(10_000), {
            description:
              'Parsed certificates kept by each process, keyed on a SHA-256 digest of the header or PEM: a ' +
              'repeated certificate is not parsed again. 0 turns the cache off.',
          }),
        })
        .prefault({}),
      { description: 'The cache of parsed client certificates.' },
    ),
  })
  .superRefine((mtls, ctx) => {
    if (mtls.pins.registry === 'off' && mtls.ca_file === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['pins', 'registry'],
        message: 'is off, so mtls.ca_file must be set: a certificate would otherwise be checked against nothing',
      });
    }
    if (mtls.pins.registry === 'remote' && mtls.pins.endpoint === undefined) {
      ctx.addIssue({ code: 'custom', path: ['pins', 'endpoint'], message: 'is required when pins.registry is remote' });
    }
    const endpoint = mtls.pins.endpoint === undefined ? null : new URL(mtls.pins.endpoint);
    if (endpoint !== null && endpoint.protocol !== 'https:') {
      const loopback =
        ['localhost', '[::1]'].includes(endpoint.hostname) || /^127(\.\d{1,3}){3}$/.test(endpoint.hostname);
      const problem =
        endpoint.protocol !== 'http:'
          ? 'must be an http(s) URL'
          : loopback || mtls.pins.allow_insecure_http
            ? null
            : 'must be https (plain http only to a loopback host, or with pins.allow_insecure_http)';
      if (problem) ctx.addIssue({ code: 'custom', path: ['pins', 'endpoint'], message: problem });
    }
  });

const configSections = z.strictObject({
  data_dir: documented(z.string().min(1).default('.warden'), {
    description:
      'Directory of the generated pepper and master key and of the default SQLite database, created (mode 0700) ' +
      'on first use; relative to the working directory.',
    env: 'WARDEN_DATA_DIR',
    flag: '--data-dir',
  }),
  server: documented(
    z
      .strictObject({
        host: documented(z.string().min(1).default('127.0.0.1'), {
          description: 'Address to listen on; `0.0.0.0` or `::` listens on every interface.',
          env: 'WARDEN_HOST',
          flag: '--host',
        }),
        port: documented(wholeNumber(z.number().int().min(0).max(65535)).default(8080), {
          description: 'Port to listen on.',
          env: 'WARDEN_PORT',
          flag: '--port',
        }),
        workers: documented(wholeNumber(z.number().int().min(1).max(64)).default(1), {
          description:
            'Processes sharing the port; with more than one, the primary migrates and bootstraps first, then forks them.',
          env: 'WARDEN_WORKERS',
          flag: '--workers',
        }),
        trusted_proxies: documented(z.array(ipOrCidr).default(['127.0.0.1/8', '::1/128']), {
          description:
            'Peers whose `X-Forwarded-*` / `X-Original-*` headers are believed (IPs or CIDRs): the reverse proxies ' +
            'that pass the original request to the decision endpoint. An empty list believes no peer.',
          type: 'list of IPs or CIDRs',
        }),
        login_url: documented(
          z
            .string()
            .refine((url) => url.startsWith('/') || URL.canParse(url), 'must be an absolute URL or a path')
            .optional(),
          {
            description:
              'Where a browser without a credential is sent (302, with `rd=<the path it asked for, without the query>`) when the rule ' +
              'accepts sessions: a request whose `Accept` has `text/html` and that carries no credential. Machines, ' +
              'and any request with a credential, always get 401/403 JSON. Absent: browsers get 401 too.',
          },
        ),
        body_limit: documented(wholeNumber(z.number().int().min(1024)).default(1_048_576), {
          description: 'Largest request body accepted, in bytes; a larger one is refused (413 payload_too_large).',
        }),
        tls: documented(
          z
            .strictObject({
              cert_file: documented(z.string().min(1), {
                description: "PEM file of the listener's certificate (and its chain).",
              }),
              key_file: documented(z.string().min(1), { description: "PEM file of the listener's private key." }),
              client_ca_file: documented(z.string().min(1).optional(), {
                description:
                  'PEM bundle of the CAs named in the certificate request to clients. Which certificates are ' +
                  "accepted is the `mtls` authenticator's decision (`mtls.ca_file`, pins), not the handshake's.",
              }),
              request_cert: documented(z.boolean().default(false), {
                description:
                  'Ask clients for a certificate. A client without one still connects (health checks, other ' +
                  'credentials); the `mtls` authenticator reads the certificate of those that send one.',
              }),
            })
            .optional(),
          {
            description:
              'Terminate TLS in Warden itself (https). Absent: plain HTTP behind a proxy that terminates TLS.',
          },
        ),
      })
      .prefault({}),
    { description: 'The HTTP listener of `warden serve`.' },
  ),
  issuer: documented(issuerUrl.default('http://127.0.0.1:8080'), {
    description:
      "Warden's public URL: the `iss` of the tokens it signs and the base of the URLs in its discovery documents " +
      '(`/.well-known/openid-configuration`). Set it to the https address relying parties reach Warden at; a ' +
      'trailing slash is removed.',
    env: 'WARDEN_ISSUER',
  }),
  database: documented(
    z
      .strictObject({
        url: documented(z.string().min(1).optional(), {
          description:
            '`sqlite:<path>` or `postgres://user:password@host:5432/warden`; the password prints as `[redacted]`.',
          env: 'WARDEN_DATABASE_URL',
          flag: '--database',
          defaultText: '`sqlite:<data_dir>/warden.db`',
        }),
        pool_size: documented(wholeNumber(z.number().int().min(1).max(200)).default(10), {
          description: 'PostgreSQL: connections in the pool of each process.',
        }),
        query_timeout: documented(duration().default(10_000), {
          description:
            'PostgreSQL: a query with no answer after this long fails closed (503) instead of holding the request.',
        }),
      })
      .prefault({}),
    { description: 'The store: SQLite (the default) or PostgreSQL.' },
  ),
  secrets: documented(
    z
      .strictObject({
        pepper: documented(secret().optional(), {
          description:
            `Server pepper for API key and client secret digests, at least ${MIN_SECRET_LENGTH} characters. The ` +
            'database remembers its fingerprint: starting with a different pepper is refused.',
          env: 'WARDEN_PEPPER',
          secret: true,
          defaultText: 'generated into `<data_dir>/pepper` (mode 0600)',
        }),
        master_key: documented(secret().optional(), {
          description: `Master key encrypting private signing keys at rest, at least ${MIN_SECRET_LENGTH} characters.`,
          env: 'WARDEN_MASTER_KEY',
          secret: true,
          defaultText: 'generated into `<data_dir>/master.key` (mode 0600)',
        }),
      })
      .prefault({}),
    {
      description:
        'Server secrets, printed as `[redacted]`. In production, and whenever several instances share a database, ' +
        'pass them by environment (`openssl rand -base64 32`).',
    },
  ),
  log: documented(
    z
      .strictObject({
        level: documented(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'), {
          description: 'Least severe level logged (JSON lines on stderr); `silent` logs nothing.',
          env: 'WARDEN_LOG_LEVEL',
          flag: '--log-level',
        }),
      })
      .prefault({}),
    { description: 'Logging.' },
  ),
  api_keys: documented(
    z
      .strictObject({
        prefix: documented(
          z.string().regex(KEY_PREFIX_PATTERN, 'must be 2-16 of [a-z0-9], starting with a letter').default('wdn'),
          {
            description: 'Prefix of the API keys issued (`wdn_...`): 2-16 of `[a-z0-9]`, starting with a letter.',
            env: 'WARDEN_API_KEY_PREFIX',
          },
        ),
        default_expires_in: documented(duration().optional(), {
          description: 'Lifetime of a key created without an expiry of its own.',
          defaultText: 'none: such keys do not expire',
        }),
        bootstrap_expires_in: documented(
          duration()
            .refine((ms) => ms > 0, 'must be longer than 0')
            .optional(),
          {
            description:
              'Lifetime of the bootstrap admin key, the admin key `warden serve` creates and prints on the first ' +
              'start of a deployment without static keys.',
            defaultText: '`api_keys.default_expires_in`; without it the key does not expire',
          },
        ),
        cache: documented(
          z
            .strictObject({
              max_entries: documented(wholeNumber(z.number().int().min(0)).default(100_000), {
                description: 'Verified keys kept in the cache of each process; 0 turns the cache off.',
              }),
              ttl: documented(duration().default(300_000), {
                description: 'How long a verified key stays cached; revocations evict it earlier (see invalidation).',
              }),
              negative_ttl: documented(duration().default(1_000), {
                description:
                  'How long an unknown key id is remembered as unknown, so garbage ids cannot load the store.',
              }),
              negative_max_entries: documented(wholeNumber(z.number().int().min(0)).default(10_000), {
                description:
                  'At most this many unknown ids are remembered, apart from known keys: a scanner cannot evict those.',
              }),
            })
            .prefault({}),
          { description: 'The cache of verified API keys.' },
        ),
        invalidation: documented(
          z
            .strictObject({
              poll_interval: documented(duration().default(250), {
                description: 'How often each instance polls the store for key changes made by other processes.',
              }),
            })
            .prefault({}),
          { description: 'How key changes made by other processes reach the cache.' },
        ),
        last_used: documented(
          z
            .strictObject({
              flush_interval: documented(duration().default(10_000), {
                description: '`last_used_at` is written behind in one batch per interval, never once per request.',
              }),
            })
            .prefault({}),
          { description: 'The `last_used_at` time of API keys.' },
        ),
        static: documented(
          z
            .record(
              z
                .string()
                .min(16, 'a static API key must be at least 16 characters')
                // A Bearer JWT goes to the JWT authenticator: such a key could only ever work as X-API-Key.
                .refine((key) => !looksLikeJwt(key), 'a static API key must not have the shape of a JWT (eyJ….….…)'),
              staticKeyIdentity,
            )
            .default({}),
          {
            description:
              'Keys accepted without a database row. The map key is the plaintext key (at least 16 characters; ' +
              'printed as `[redacted]#N`) or `sha256:<hex>` of it; the value, the identity it authenticates as.',
            type: 'map of key to identity',
          },
        ),
      })
      .prefault({}),
    { description: 'API keys.' },
  ),
  audit: documented(
    z
      .strictObject({
        failures_per_minute: documented(wholeNumber(z.number().int().min(0)).default(10), {
          description:
            'Failed-verification events written per credential id per minute; the rest are counted, not written.',
        }),
        failures_per_peer_per_minute: documented(wholeNumber(z.number().int().min(0)).default(30), {
          description:
            'Failed-verification events written per peer address per minute, whatever credentials it sends ' +
            '(fresh random ids included).',
        }),
        failures_per_instance_per_minute: documented(wholeNumber(z.number().int().min(0)).default(600), {
          description:
            'Failed-verification events written per instance per minute, over all peers: the most failure rows ' +
            'one instance writes.',
        }),
      })
      .prefault({}),
    { description: 'The audit log of failed verifications: budgets that bound its rows.' },
  ),
  signing_keys: documented(
    z
      .strictObject({
        algorithm: documented(z.enum(SIGNING_ALGORITHMS).default('EdDSA'), {
          description:
            'Algorithm of new signing keys: `EdDSA` (Ed25519), `ES256` (P-256) or `RS256`. A change applies from the ' +
            'next rotation; existing keys keep theirs.',
        }),
        rsa_modulus_length: documented(
          wholeNumber(z.number().int().min(2048).max(4096).multipleOf(1024)).default(2048),
          {
            description: 'RS256 only: the modulus of new RSA keys in bits (2048, 3072 or 4096).',
          },
        ),
        publish_ahead: documented(
          duration()
            .default(3_600_000)
            .refine(
              (ms) => ms >= JWKS_MAX_AGE_SECONDS * 1000,
              `must be at least ${JWKS_MAX_AGE_SECONDS / 60}m, the max-age of /.well-known/jwks.json (for an immediate rotation: warden signing-keys rotate --now)`,
            ),
          {
            description:
              'A rotation publishes the next key in the JWKS this long before it starts signing, so relying parties ' +
              'that cache the JWKS have it before they see a token signed with it.',
          },
        ),
        retain_after_retire: documented(duration().default(86_400_000), {
          description:
            'A retired key stays in the JWKS this long, so the tokens it signed verify until they expire: at least ' +
            'the longest access token lifetime. A token meant to live longer is refused when it is signed.',
        }),
        rotate_every: documented(duration().default(7_776_000_000), {
          description:
            'Automatic rotation: each key signs for this long, its successor published `publish_ahead` before. ' +
            '`0` never rotates automatically.',
        }),
        refresh_interval: documented(
          duration()
            .default(5_000)
            .refine((ms) => ms >= 100, 'must be at least 100ms'),
          {
            description:
              'Each instance reads the signing keys again this often, and before it signs or verifies with a copy ' +
              'older than this: the bound on seeing a rotation made by another instance or the CLI. Also the ' +
              'period of the background task that creates the first key and the automatic rotations.',
          },
        ),
      })
      .superRefine((section, ctx) => {
        if (section.rotate_every !== 0 && section.rotate_every <= section.publish_ahead) {
          ctx.addIssue({
            code: 'custom',
            path: ['rotate_every'],
            message: 'must be 0 (never) or longer than signing_keys.publish_ahead',
          });
        }
      })
      .prefault({}),
    {
      description:
        "The keys that sign Warden's JWTs: private parts encrypted with `secrets.master_key`, public parts served " +
        'at `/.well-known/jwks.json`.',
    },
  ),
  tokens: documented(
    z
      .strictObject({
        access_token_ttl: documented(
          duration()
            .default(900_000)
            .refine((ms) => ms >= 1000, 'must be at least 1s'),
          {
            description:
              'Lifetime of the access tokens `POST /oauth2/token` issues, for clients without a `tokenTtl` of their ' +
              'own. At most `signing_keys.retain_after_retire`.',
          },
        ),
        accepted_audiences: documented(z.array(z.string().min(1)).default([]), {
          description:
            'The decision endpoint and `warden.decide` accept a Warden access token whose `aud` holds one of these ' +
            '(RFC 9068). Empty: the issuer URL only, the audience of tokens for clients without audiences. List the ' +
            'audiences of the clients whose tokens the services behind this Warden take.',
          defaultText: '`[issuer]`',
        }),
        clock_skew: documented(duration().default(30_000), {
          description: "Leeway when checking a token's `exp`, `nbf` and `iat` against this machine's clock.",
        }),
        refresh_token_ttl: documented(
          duration()
            .default(30 * 86_400_000)
            .refine((ms) => ms >= 60_000, 'must be at least 1m'),
          {
            description:
              'Absolute lifetime of a refresh token family: rotation never extends it past this, counted from the ' +
              'grant that started the family. Refresh tokens go to clients registered with the `refresh_token` ' +
              'grant type.',
          },
        ),
        refresh_token_idle_ttl: documented(
          duration()
            .default(7 * 86_400_000)
            .refine((ms) => ms >= 60_000, 'must be at least 1m'),
          {
            description:
              'A refresh token not used within this long expires (each rotation starts the time again, within ' +
              '`tokens.refresh_token_ttl`).',
          },
        ),
        revocation: documented(
          z
            .strictObject({
              poll_interval: documented(
                duration()
                  .default(250)
                  .refine((ms) => ms >= 50 && ms <= 1000, 'must be between 50ms and 1s'),
                {
                  description:
                    'Each instance reads the access tokens revoked by other instances this often: the bound on a ' +
                    'revocation reaching every instance (at once on the instance that revoked). While the reads ' +
                    'fail, each decision on a Warden token asks the store (fail closed).',
                },
              ),
            })
            .prefault({}),
          { description: 'The deny-list of revoked access tokens (by `jti`, kept until their `exp`).' },
        ),
        cache: documented(
          z
            .strictObject({
              max_entries: documented(wholeNumber(z.number().int().min(0)).default(10_000), {
                description:
                  'Verified access tokens kept by each process (a SHA-256 digest of the token, never the token), each ' +
                  'until its `exp`: a repeated token skips the signature check. 0 turns the cache off.',
              }),
            })
            .prefault({}),
          { description: 'The cache of verified access tokens.' },
        ),
      })
      .prefault({}),
    { description: 'The access tokens Warden issues (JWTs, RFC 9068) and how it verifies them.' },
  ),
  rules: documented(z.array(ruleSchema).default([]), {
    description:
      'Access rules: which requests need which credentials. Each matches on host, method and path (the normalized ' +
      'path the upstream will serve) and says which authenticators to try and what the principal must have. The ' +
      'rule with the highest priority among those that match applies. Empty: every request needs a valid ' +
      'credential. Reloaded on SIGHUP and when the file changes (README: Access rules).',
    type: 'list of rules',
  }),
  default_rule: documented(defaultRuleSchema.optional(), {
    description:
      'What applies to a request no rule matches, when `rules` is not empty (`authenticators`, `require`, `allow`, ' +
      '`deny`). Absent: such a request is denied (403).',
    defaultText: 'deny',
  }),
  mtls: documented(mtlsSection.prefault({}), {
    description:
      'Client certificates (the `mtls` authenticator): where they are read from, how they are validated (a CA, ' +
      'a pinned public key per subject, or both), and the pin registry (README: mTLS).',
  }),
  issuers: documented(z.array(trustedIssuer).default([]), {
    description:
      'External OIDC issuers whose JWT access tokens the decision endpoint, `warden.decide` and the middleware ' +
      "accept beside Warden's own tokens and API keys; each entry's keys are listed below as `issuers[].<key>`.",
    type: 'list of issuers',
  }),
});

export const configSchema = configSections.superRefine((config, ctx) => {
  // Rules that could match one request at one priority: refused here, so `config check` and startup say so.
  try {
    new RuleSet(config.rules, config.default_rule);
  } catch (error) {
    if (!(error instanceof RuleSetError)) throw error;
    ctx.addIssue({ code: 'custom', path: ['rules'], message: error.message });
  }
  // Every issuer once, and never Warden's own: its tokens verify against its own keys (compared without the
  // trailing slash, which would otherwise let `https://warden.example/` pass as another issuer).
  const seen = new Set<string>([config.issuer.replace(/\/+$/, '')]);
  config.issuers.forEach((entry, index) => {
    const key = entry.issuer.replace(/\/+$/, '');
    if (!seen.has(key)) {
      seen.add(key);
      return;
    }
    ctx.addIssue({
      code: 'custom',
      path: ['issuers', index, 'issuer'],
      message:
        key === config.issuer.replace(/\/+$/, '')
          ? "is Warden's own issuer (config issuer); its tokens are verified against its own signing keys"
          : 'is listed twice: give each issuer once',
    });
  });
  // A token must not outlive its signing key in the JWKS: the signer would refuse every token.
  if (config.tokens.access_token_ttl > config.signing_keys.retain_after_retire) {
    ctx.addIssue({
      code: 'custom',
      path: ['tokens', 'access_token_ttl'],
      message: 'must be at most signing_keys.retain_after_retire, or tokens would outlive their signing key',
    });
  }
});

export type WardenConfigInput = z.input<typeof configSchema>;
export type WardenConfig = z.output<typeof configSchema>;
