import type { Capability, CapabilityContext } from '../capability.js';
import { registerAdminPinRoutes } from './admin-routes.js';
import { MtlsAuthenticator } from './authenticator.js';
import { CaBundle } from './ca-bundle.js';
import { PinCache } from './pins/pin-cache.js';
import { RemotePinRegistry } from './pins/remote-registry.js';
import { PinRepository } from './pins/repository.js';
import { PinService } from './service.js';

/** The mTLS capability: what `createMtls` returns beyond every capability's parts. */
export interface Mtls extends Capability {
  /** Pins in Warden's store (`warden certs pin`, `/v1/admin/pins`). */
  readonly pins: PinService;
  readonly authenticator: MtlsAuthenticator;
}

/**
 * Client certificates end to end: the CA bundle (`mtls.ca_file`), the pin registry (the store or a remote one)
 * behind a bounded cache, the authenticator, the pin service and its admin routes under /v1/admin/pins.
 */
export function createMtls(context: CapabilityContext): Mtls {
  const { config, database, audit, now } = context;
  const { mtls } = config;
  const repository = new PinRepository(database.db);
  const cas = mtls.ca_file === undefined ? null : CaBundle.fromFile(mtls.ca_file);
  const remote = mtls.pins.registry === 'remote' ? new RemotePinRegistry(mtls.pins.endpoint!, mtls.pins.timeout) : null;
  const cache =
    mtls.pins.registry === 'off'
      ? null
      : new PinCache(
          remote !== null
            ? async (subject) => {
                // A remote registry says which key, nothing more: its principals hold no scopes, roles or tenant.
                const spki = await remote.fetch(subject);
                return spki === null ? null : { spki, scopes: [], roles: [], tenant: null };
              }
            : (subject) => repository.find(subject),
          { ttlMs: mtls.pins.cache_ttl, maxEntries: mtls.pins.cache_max_entries, now },
        );
  const authenticator = new MtlsAuthenticator({
    subjectFrom: mtls.subject_from,
    subjectType: mtls.subject_type,
    cas,
    pinOf: cache === null ? null : (subject) => cache.get(subject),
    cacheMaxEntries: mtls.cache.max_entries,
    now,
  });
  // The store's pins evict the cache only when the store is what the authenticator reads.
  const pins = new PinService({ repository, audit, cache: remote === null ? cache : null, now });
  return {
    name: 'mtls',
    pins,
    authenticator,
    authenticators: [authenticator],
    adminRoutes: (scope, api) => registerAdminPinRoutes(scope, pins, api),
    start() {},
    flush: async () => {},
    stop: async () => {},
  };
}
