import { randomBytes } from 'node:crypto';
import { ApiKeyAuthenticator } from '../authn/api-key.js';
import { ApiKeyCache } from '../authn/api-key-cache.js';
import { StaticApiKeys } from '../authn/static-api-key.js';
import type { AuthResult } from '../authn/types.js';
import type { Capability, CapabilityContext } from '../capability.js';
import { ApiKeyChangePoller } from '../cluster/api-key-change-poller.js';
import { LastUsedWriter } from '../cluster/last-used-writer.js';
import { registerAdminKeyRoutes } from '../http/routes/admin-keys.js';
import { ApiKeyRepository } from '../store/api-keys.js';
import { ApiKeyService, type IssuedKey } from './service.js';

/** The API keys capability: what `createApiKeys` returns beyond every capability's parts. */
export interface ApiKeys extends Capability {
  readonly service: ApiKeyService;
  /** Creates the first admin key if this deployment never had one and has no static keys; null otherwise. */
  bootstrapAdminKey(): Promise<IssuedKey | null>;
  /** Picks up key changes made by other processes now (what the background poller does periodically). */
  syncChanges(): Promise<void>;
  /** Verifies a presented key with the caches of the decision path (for HTTP Basic with a key as the password). */
  verifyKey(key: string): AuthResult | Promise<AuthResult>;
}

/**
 * API keys end to end: the repository, the bounded cache and its cross-process invalidation poller, static keys
 * from config, the last-used write-behind, the authenticator (Bearer and X-API-Key), the management service,
 * the admin routes under /v1/admin/keys, and the bootstrap admin key.
 */
export function createApiKeys(context: CapabilityContext): ApiKeys {
  const { config, database, secrets, settings, audit, logger, metrics, now, reportFault } = context;
  const repository = new ApiKeyRepository(database.db);
  const cache = new ApiKeyCache({
    maxEntries: config.api_keys.cache.max_entries,
    ttl: config.api_keys.cache.ttl,
    negativeTtl: config.api_keys.cache.negative_ttl,
    negativeMaxEntries: config.api_keys.cache.negative_max_entries,
    now,
  });
  metrics.observeApiKeyCache(() => cache.sizes);
  const poller = new ApiKeyChangePoller({
    repository,
    intervalMs: config.api_keys.invalidation.poll_interval,
    evict: (id) => cache.evict(id),
    evictAll: () => cache.clear(),
    now,
    onError: (error) => reportFault('key change poll', error),
  });
  const lastUsed = new LastUsedWriter({
    repository,
    intervalMs: config.api_keys.last_used.flush_interval,
    onError: (error) => reportFault('last-used flush', error),
  });
  const staticKeys = new StaticApiKeys(config.api_keys.static);
  if (staticKeys.plaintextCount > 0) {
    logger.warn(
      { count: staticKeys.plaintextCount },
      'static API keys are configured in plaintext; prefer "sha256:<hex>" entries (echo -n KEY | sha256sum)',
    );
  }
  const authenticator = new ApiKeyAuthenticator({
    repository,
    cache,
    staticKeys,
    poller,
    lastUsed,
    pepper: secrets.pepper,
    now,
  });
  const service = new ApiKeyService({
    repository,
    audit,
    cache,
    authenticator,
    lastUsed,
    pepper: secrets.pepper,
    prefix: config.api_keys.prefix,
    defaultExpiresIn: config.api_keys.default_expires_in,
    now,
  });

  return {
    name: 'api_keys',
    service,
    authenticators: [authenticator],
    verifyKey: (key) => authenticator.verify(key),
    adminRoutes: (scope, api) => registerAdminKeyRoutes(scope, service, api),
    start() {
      poller.start();
      lastUsed.start();
    },
    flush: () => lastUsed.flush(),
    async stop() {
      await poller.stop();
      await lastUsed.stop();
    },
    syncChanges: () => poller.pollOnce(),
    async bootstrapAdminKey() {
      if (staticKeys.size > 0) return null;
      const claim = randomBytes(8).toString('hex');
      // Only the process whose claim is stored creates the key, even if several start at once.
      if ((await settings.setIfAbsent('bootstrap_admin_key', claim)) !== claim) return null;
      // Without a lifetime of its own the key gets api_keys.default_expires_in, as any key created without one.
      const lifetime = config.api_keys.bootstrap_expires_in;
      const issued = await service.create(
        {
          subject: 'admin',
          name: 'bootstrap admin key',
          subjectType: 'user',
          admin: true,
          // In milliseconds, the unit the configuration holds it in; the service counts it from its own clock.
          ...(lifetime !== undefined ? { expiresIn: `${lifetime}ms` } : {}),
        },
        { actor: 'bootstrap' },
      );
      await settings.setIfAbsent('bootstrap_admin_key_id', issued.record.id);
      return issued;
    },
  };
}
