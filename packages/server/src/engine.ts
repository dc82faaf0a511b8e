import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { ApiKeyAuthenticator } from './authn/api-key.js';
import { ApiKeyCache } from './authn/api-key-cache.js';
import { Authenticator } from './authn/authenticate.js';
import { FailureAuditor } from './authn/failure-auditor.js';
import { StaticApiKeys } from './authn/static-api-key.js';
import type { AuthResult, RequestAttributes } from './authn/types.js';
import { allowAnyValidCredential, type Decision, decide, denyDecision, type RuleMatcher } from './authz/decide.js';
import type { RequirementLevels, Requirements } from './authz/requirements.js';
import { ApiKeyChangePoller } from './cluster/api-key-change-poller.js';
import { LastUsedWriter } from './cluster/last-used-writer.js';
import { parseConfig } from './config/load.js';
import type { WardenConfig, WardenConfigInput } from './config/schema.js';
import { checkPepperFingerprint, loadServerSecrets, type ServerSecrets } from './issue/server-secrets.js';
import { ApiKeyService, type IssuedKey } from './keys/service.js';
import { createLogger } from './observability/logger.js';
import { Metrics } from './observability/metrics.js';
import { ApiKeyRepository } from './store/api-keys.js';
import { AuditRepository } from './store/audit.js';
import { type Database, openDatabase } from './store/database.js';
import { migrateToLatest, ping } from './store/migrations.js';
import { SettingsRepository } from './store/settings.js';

export interface CreateWardenOptions {
  /** Configuration in the YAML shape (validated here), e.g. `{ database: { url: 'sqlite:./warden.db' } }`. */
  config?: WardenConfigInput | WardenConfig;
  logger?: Logger;
  /** Bring the schema up to date on start (default true). */
  migrate?: boolean;
  /** Start the cache invalidation poller and last-used write-behind (default true; the CLI turns them off). */
  background?: boolean;
  /** Clock in epoch milliseconds; tests freeze it. */
  now?: () => number;
  /** Collect Node's process metrics too (the server does; embedded engines leave that to the host). */
  processMetrics?: boolean;
}

/** The engine `warden serve` runs, also embeddable in a service (programmatic mode). */
export interface Warden {
  readonly config: WardenConfig;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly database: Database;
  readonly keys: ApiKeyService;
  readonly audit: AuditRepository;
  /** Who is calling? Storage faults throw. */
  authenticate(attributes: RequestAttributes): Promise<AuthResult>;
  /**
   * Who is calling, and may they? `requirements` is one level or several (a plugin's and a route's), all of
   * which must hold. Never throws: a storage fault is a 503 `unavailable` decision.
   */
  decide(attributes: RequestAttributes, requirements?: Requirements | RequirementLevels): Promise<Decision>;
  /** Creates the first admin key if this deployment never had one and has no static keys; null otherwise. */
  bootstrapAdminKey(): Promise<IssuedKey | null>;
  /** Resolves when storage answers; rejects otherwise. */
  ready(): Promise<void>;
  /** Picks up key changes made by other processes now (what the background poller does periodically). */
  syncKeyChanges(): Promise<void>;
  close(): Promise<void>;
}

export async function createWarden(options: CreateWardenOptions = {}): Promise<Warden> {
  const config = parseConfig(structuredClone(options.config ?? {}) as WardenConfigInput);
  const now = options.now ?? Date.now;
  const logger = options.logger ?? createLogger(config.log.level);
  const metrics = new Metrics({ defaultMetrics: options.processMetrics ?? false });
  const database = openDatabase(config.database.url!, {
    poolSize: config.database.pool_size,
    queryTimeoutMs: config.database.query_timeout,
    onConnectionError: (error) => {
      metrics.storageFaults.inc({ operation: 'connection' });
      logger.warn({ err: error }, 'a database connection broke; it is replaced on the next query');
    },
  });
  try {
    if (options.migrate !== false) await migrateToLatest(database.db as never, database.dialect);
    const secrets: ServerSecrets = loadServerSecrets(config.secrets, config.data_dir);
    const settings = new SettingsRepository(database.db);
    await checkPepperFingerprint(settings, secrets.pepper);
    return assemble(config, database, secrets, settings, logger, metrics, now, options);
  } catch (error) {
    await database.close();
    throw error;
  }
}

function assemble(
  config: WardenConfig,
  database: Database,
  secrets: ServerSecrets,
  settings: SettingsRepository,
  logger: Logger,
  metrics: Metrics,
  now: () => number,
  options: CreateWardenOptions,
): Warden {
  const repository = new ApiKeyRepository(database.db);
  const audit = new AuditRepository(database.db);
  const cache = new ApiKeyCache(
    {
      maxEntries: config.api_keys.cache.max_entries,
      ttl: config.api_keys.cache.ttl,
      negativeTtl: config.api_keys.cache.negative_ttl,
      negativeMaxEntries: config.api_keys.cache.negative_max_entries,
    },
    now,
  );
  metrics.observeApiKeyCache(() => cache.sizes);
  const logFault = (what: string) => (error: unknown) => {
    metrics.storageFaults.inc({ operation: what });
    logger.error({ err: error }, `${what} failed`);
  };
  const poller = new ApiKeyChangePoller(
    repository,
    config.api_keys.invalidation.poll_interval,
    (id) => cache.evict(id),
    () => cache.clear(),
    now,
    logFault('key change poll'),
  );
  const lastUsed = new LastUsedWriter(
    repository,
    config.api_keys.last_used.flush_interval,
    logFault('last-used flush'),
  );
  const staticKeys = new StaticApiKeys(config.api_keys.static);
  if (staticKeys.plaintextCount > 0) {
    logger.warn(
      { count: staticKeys.plaintextCount },
      'static API keys are configured in plaintext; prefer "sha256:<hex>" entries (echo -n KEY | sha256sum)',
    );
  }
  const apiKeys = new ApiKeyAuthenticator({
    repository,
    cache,
    staticKeys,
    poller,
    lastUsed,
    pepper: secrets.pepper,
    now,
  });
  const authenticator = new Authenticator(
    apiKeys,
    new FailureAuditor({
      audit,
      limits: {
        perCredential: config.audit.failures_per_minute,
        perPeer: config.audit.failures_per_peer_per_minute,
        perInstance: config.audit.failures_per_instance_per_minute,
      },
      logger,
      now,
      onSuppressed: () => metrics.auditSuppressed.inc(),
    }),
  );
  const keys = new ApiKeyService({
    repository,
    audit,
    cache,
    authenticator: apiKeys,
    lastUsed,
    pepper: secrets.pepper,
    prefix: config.api_keys.prefix,
    defaultExpiresIn: config.api_keys.default_expires_in,
    now,
  });
  if (options.background !== false) {
    poller.start();
    lastUsed.start();
  }
  const matchRule: RuleMatcher = allowAnyValidCredential;
  let closed = false;

  return {
    config,
    logger,
    metrics,
    database,
    keys,
    audit,
    authenticate: (attributes) => authenticator.authenticate(attributes),
    async decide(attributes, requirements) {
      const started = process.hrtime.bigint();
      let decision: Decision;
      try {
        decision = await decide(authenticator, attributes, matchRule, requirements);
      } catch (error) {
        metrics.storageFaults.inc({ operation: 'decide' });
        logger.error({ err: error }, 'decision failed closed: storage fault');
        decision = denyDecision('unavailable');
      }
      metrics.recordDecision(
        decision.allow ? 'allow' : 'deny',
        decision.allow ? decision.principal.credential.kind : 'none',
        decision.allow ? 'ok' : decision.code,
        Number(process.hrtime.bigint() - started) / 1e9,
      );
      return decision;
    },
    async bootstrapAdminKey() {
      if (staticKeys.size > 0) return null;
      const claim = randomBytes(8).toString('hex');
      // Only the process whose claim is stored creates the key, even if several start at once.
      if ((await settings.setIfAbsent('bootstrap_admin_key', claim)) !== claim) return null;
      const issued = await keys.create(
        { subject: 'admin', name: 'bootstrap admin key', subjectType: 'user', admin: true },
        { actor: 'bootstrap' },
      );
      await settings.setIfAbsent('bootstrap_admin_key_id', issued.record.id);
      return issued;
    },
    ready: () => ping(database.db as never),
    syncKeyChanges: () => poller.pollOnce(),
    async close() {
      if (closed) return;
      closed = true;
      await poller.stop();
      await lastUsed.stop();
      await database.close();
      logger.flush?.();
    },
  };
}
