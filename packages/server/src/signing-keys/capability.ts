import type { JSONWebKeySet } from 'jose';
import type { Capability, CapabilityContext } from '../capability.js';
import { PeriodicTask } from '../cluster/periodic-task.js';
import { WardenError } from '../errors/warden-error.js';
import type { TokenSigner } from '../tokens/signer.js';
import { registerAdminSigningKeyRoutes } from './admin-routes.js';
import { publicJwks } from './jwks.js';
import { KeyRing, type VerificationKey } from './keyring.js';
import { registerPublicSigningKeyRoutes } from './public-routes.js';
import { SigningKeyRepository } from './repository.js';
import { SigningKeyRotation, type SigningKeySettings } from './rotation.js';
import { SigningKeyService } from './service.js';
import { JwtSigner } from './signer.js';

/** The signing keys capability: what `createSigningKeys` returns beyond every capability's parts. */
export interface SigningKeys extends Capability {
  /** Signs Warden's JWTs with the active key (the token endpoint, later the login flows). */
  readonly signer: TokenSigner;
  /** List and rotate: behind the admin API, the CLI and `warden.signingKeys`. */
  readonly service: SigningKeyService;
  /**
   * The published public key `kid` names and its one algorithm, or null: for the JWT authenticator. Reads the
   * store when this instance's copy is older than `signing_keys.refresh_interval`, and for an unknown kid at
   * most once a second; a storage fault rejects.
   */
  verificationKey(kid: string): Promise<VerificationKey | null>;
  /** The JWKS served at `/.well-known/jwks.json`: next, active, and retired keys until their expiry. */
  jwks(): Promise<JSONWebKeySet>;
  /** One round of the background task now: first key, automatic rotation when due, reload. Rejects on a fault. */
  maintain(): Promise<void>;
}

export interface SigningKeysOptions {
  /** The authorization server metadata of every capability, merged (engine.ts provides it). */
  discovery: () => Record<string, unknown>;
}

/** The `signing_keys` configuration section in the units the capability works in. */
export function signingKeySettings(config: CapabilityContext['config']): SigningKeySettings {
  const section = config.signing_keys;
  return {
    algorithm: section.algorithm,
    rsaModulusLength: section.rsa_modulus_length,
    publishAhead: section.publish_ahead,
    retainAfterRetire: section.retain_after_retire,
    rotateEvery: section.rotate_every,
    refreshInterval: section.refresh_interval,
  };
}

/**
 * Signing keys end to end: the repository (private keys encrypted with the master key), rotation (first key,
 * manual, automatic), each instance's copy of the keys, the token signer, the admin routes under
 * /v1/admin/signing-keys, and the public JWKS and discovery documents under /.well-known/.
 */
export function createSigningKeys(context: CapabilityContext, options: SigningKeysOptions): SigningKeys {
  const { config, database, secrets, audit, logger, now, reportFault } = context;
  const settings = signingKeySettings(config);
  const repository = new SigningKeyRepository(database.db);
  const rotation = new SigningKeyRotation({ repository, audit, masterKey: secrets.masterKey, settings, now });
  const ring = new KeyRing({
    repository,
    masterKey: secrets.masterKey,
    refreshInterval: settings.refreshInterval,
    ensureFirstKey: () => rotation.ensureFirstKey(),
    now,
  });
  const service = new SigningKeyService({ repository, rotation, now, onRotated: () => ring.invalidate() });
  const signer = new JwtSigner(config.issuer, ring, settings.retainAfterRetire, now);
  const jwks = async () => publicJwks(await ring.publishedKeys());
  const maintain = async () => {
    await rotation.ensureFirstKey();
    const rotated = await rotation.rotateIfDue();
    if (rotated) {
      logger.info(
        { kid: rotated.key.kid, activatesAt: rotated.key.activatedAt, previous: rotated.previous?.kid },
        'published the next signing key (automatic rotation)',
      );
    }
    await ring.reload();
    // Decrypting the active key here reports a wrong master key at start, not at the first token.
    await ring.activeKey();
  };
  // Once per refresh_interval on every instance: create the first key on a new deployment, publish the next key
  // when an automatic rotation is due, and read the keys again so signing and verification rarely wait for the
  // store. Any number of instances may run it at once: the store lets one create a key and the others find it.
  const maintenance = new PeriodicTask({
    intervalMs: settings.refreshInterval,
    run: maintain,
    onError: (error) => {
      // A wrong master key is a configuration mistake with a message of its own, not a storage fault.
      if (error instanceof WardenError) logger.error({ code: error.code }, error.message);
      else reportFault('signing key maintenance', error);
    },
  });

  return {
    name: 'signing_keys',
    signer,
    service,
    authenticators: [],
    adminRoutes: (scope, api) => registerAdminSigningKeyRoutes(scope, service, api),
    publicRoutes: (scope) => registerPublicSigningKeyRoutes(scope, { jwks, discovery: options.discovery }),
    discoveryMetadata: (base) => ({ jwks_uri: `${base}/.well-known/jwks.json` }),
    verificationKey: (kid) => ring.verificationKey(kid),
    jwks,
    maintain,
    start() {
      const issuer = new URL(config.issuer);
      if (issuer.protocol === 'http:' && !['127.0.0.1', 'localhost', '[::1]'].includes(issuer.hostname)) {
        logger.warn({ issuer: config.issuer }, 'issuer is a plain http URL: relying parties should reach it by https');
      }
      maintenance.start();
    },
    flush: async () => {},
    stop: () => maintenance.stop(),
  };
}
