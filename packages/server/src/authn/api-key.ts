import type { Principal } from '@warden/sdk';
import type { ApiKeyChangePoller } from '../cluster/api-key-change-poller.js';
import type { LastUsedWriter } from '../cluster/last-used-writer.js';
import { parseApiKey } from '../issue/api-key-format.js';
import { verifyApiKeySecret } from '../issue/api-key-hash.js';
import type { ApiKeyRecord, ApiKeyRepository } from '../store/api-keys.js';
import type { ApiKeyCache } from './api-key-cache.js';
import type { PresentedCredential } from './presented.js';
import { principalFromApiKey } from './principal-from-key.js';
import type { StaticApiKeys } from './static-api-key.js';
import { type Authenticator, type AuthResult, denied } from './types.js';

export interface ApiKeyAuthenticatorDeps {
  repository: ApiKeyRepository;
  cache: ApiKeyCache;
  staticKeys: StaticApiKeys;
  poller: ApiKeyChangePoller;
  lastUsed: LastUsedWriter;
  pepper: Buffer;
  now: () => number;
}

/**
 * Verifies an API key: static keys first, then the format and checksum (no storage access for garbage), then
 * the record by its public id (cache, else store), then the secret against the stored HMAC digest in constant
 * time, then revocation and expiry.
 */
export class ApiKeyAuthenticator implements Authenticator {
  readonly kind = 'api_key' as const;

  constructor(private readonly deps: ApiKeyAuthenticatorDeps) {}

  /** `Authorization: Bearer <key>` or `X-API-Key: <key>`. */
  accepts(credential: PresentedCredential): boolean {
    return (
      credential.source === 'x-api-key' || (credential.source === 'authorization' && credential.scheme === 'bearer')
    );
  }

  authenticate(credential: PresentedCredential): Promise<AuthResult> {
    return this.verify('value' in credential ? credential.value : '');
  }

  async verify(presented: string): Promise<AuthResult> {
    const staticPrincipal = this.deps.staticKeys.match(presented);
    if (staticPrincipal) return { ok: true, principal: staticPrincipal };

    const parsed = parseApiKey(presented);
    if (!parsed) return denied('malformed_credentials', 'The API key fails its format or checksum.');

    const found = await this.lookup(parsed.id);
    if (found === null) return denied('invalid_credentials', undefined, parsed.id);
    const { record, principal } = found;

    // The secret is checked before status so a guesser learns nothing about revoked or expired keys.
    const secretMatches = verifyApiKeySecret(this.deps.pepper, record.salt, parsed.secret, record.secretHash);
    if (!secretMatches || record.prefix !== parsed.prefix) {
      return denied('invalid_credentials', undefined, parsed.id);
    }
    if (record.revokedAt !== null) return denied('revoked', undefined, parsed.id);
    const now = this.deps.now();
    if (record.expiresAt !== null && record.expiresAt <= now) return denied('expired', undefined, parsed.id);

    this.deps.lastUsed.touch(record.id, now);
    return { ok: true, principal };
  }

  /** The record and its principal, or null when no key has this id. Throws only when the store fails. */
  private async lookup(id: string): Promise<{ record: ApiKeyRecord; principal: Principal } | null> {
    const { cache, poller, repository } = this.deps;
    // A cache is only trusted while the invalidation feed is alive; otherwise read through (fail closed).
    if (poller.isFresh()) {
      const cached = cache.get(id);
      if (cached === null) return null;
      if (cached !== undefined) return cached;
    }
    const record = await repository.findById(id);
    if (record === null) {
      cache.setUnknown(id);
      return null;
    }
    const principal = principalFromApiKey(record);
    cache.setKnown(record, principal);
    return { record, principal };
  }
}
