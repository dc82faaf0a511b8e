import { hash } from 'node:crypto';
import type { ApiKeyChangePoller } from '../cluster/api-key-change-poller.js';
import type { LastUsedWriter } from '../cluster/last-used-writer.js';
import { type ParsedApiKey, parseApiKey } from '../issue/api-key-format.js';
import { verifyApiKeySecret } from '../issue/api-key-hash.js';
import type { ApiKeyRepository } from '../store/api-keys.js';
import type { ApiKeyCache, CachedApiKey } from './api-key-cache.js';
import { looksLikeJwt, type PresentedCredential } from './presented.js';
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
 * Verifies an API key: static keys first; then a key already proven in full, found by the SHA-256 digest of
 * what was presented (no parsing, lookup or HMAC for a repeated key); otherwise the format and checksum (no
 * storage access for garbage), the record by its public id (cache, else store), and the secret against the
 * stored HMAC digest in constant time. Revocation and expiry are checked on every request.
 */
export class ApiKeyAuthenticator implements Authenticator {
  readonly kind = 'api_key' as const;

  constructor(private readonly deps: ApiKeyAuthenticatorDeps) {}

  /** `Authorization: Bearer <key>` or `X-API-Key: <key>`. */
  accepts(credential: PresentedCredential): boolean {
    // A Bearer JWT is the JWT authenticators' (an API key never has a JWT's shape: see keys in api-key-format.ts).
    return (
      credential.source === 'x-api-key' ||
      (credential.source === 'authorization' && credential.scheme === 'bearer' && !looksLikeJwt(credential.value))
    );
  }

  authenticate(credential: PresentedCredential): AuthResult | Promise<AuthResult> {
    return this.verify('value' in credential ? credential.value : '');
  }

  /**
   * Verifies a presented key. Answers synchronously whenever no storage read is needed (a verified key seen
   * before, a cached record, garbage); returns a promise only when it must read the store.
   */
  verify(presented: string): AuthResult | Promise<AuthResult> {
    const staticPrincipal = this.deps.staticKeys.match(presented);
    if (staticPrincipal) return { ok: true, principal: staticPrincipal };

    // A cache is only trusted while the invalidation feed is alive; otherwise read through (fail closed).
    const trusted = this.deps.poller.isFresh();
    const digest = hash('sha256', presented, 'base64');
    if (trusted) {
      const verified = this.deps.cache.getVerified(digest);
      if (verified) return this.status(verified);
    }

    const parsed = parseApiKey(presented);
    if (!parsed) return MALFORMED;
    if (trusted) {
      const cached = this.deps.cache.get(parsed.id);
      if (cached === null) return denied('invalid_credentials', undefined, parsed.id);
      if (cached !== undefined) return this.prove(parsed, cached, digest);
    }
    return this.readThrough(parsed, digest);
  }

  /** The record from the store (then cached), or the unknown id remembered. Throws only when the store fails. */
  private async readThrough(parsed: ParsedApiKey, digest: string): Promise<AuthResult> {
    const record = await this.deps.repository.findById(parsed.id);
    if (record === null) {
      this.deps.cache.setUnknown(parsed.id);
      return denied('invalid_credentials', undefined, parsed.id);
    }
    return this.prove(parsed, this.deps.cache.setKnown(record, principalFromApiKey(record)), digest);
  }

  /** Proves the secret against the stored HMAC digest in constant time; remembers a proven key by its digest. */
  private prove(parsed: ParsedApiKey, entry: CachedApiKey, digest: string): AuthResult {
    const { record } = entry;
    // The secret is checked before status so a guesser learns nothing about revoked or expired keys.
    const secretMatches = verifyApiKeySecret(this.deps.pepper, record.salt, parsed.secret, record.secretHash);
    if (!secretMatches || record.prefix !== parsed.prefix) {
      return denied('invalid_credentials', undefined, parsed.id);
    }
    this.deps.cache.setVerified(digest, entry);
    return this.status(entry);
  }

  /** Revocation and expiry, checked on every request, verified or not. */
  private status(entry: CachedApiKey): AuthResult {
    const { record } = entry;
    if (record.revokedAt !== null) return denied('revoked', undefined, record.id);
    const now = this.deps.now();
    if (record.expiresAt !== null && record.expiresAt <= now) return denied('expired', undefined, record.id);
    this.deps.lastUsed.touch(record.id, now);
    return entry.allowed;
  }
}

const MALFORMED: AuthResult = Object.freeze(
  denied('malformed_credentials', 'The API key fails its format or checksum.'),
);
