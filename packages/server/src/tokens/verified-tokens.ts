import type { Principal } from '@warden/sdk';
import type { VerifiedToken as Verdict } from './token-verifier.js';

export interface VerifiedTokenEntry {
  /** The successful verification result, allocated once: a hit returns this object. */
  allowed: { ok: true; principal: Principal };
  /** The token's `exp` in epoch milliseconds: the entry is never served past it. */
  expiresAt: number;
  /** The token's `jti` when it can be revoked (Warden's own tokens), so a revocation can evict it. */
  jti: string | undefined;
}

/**
 * JWTs already verified in full (signature, issuer, audience, type, times), by a SHA-256 digest of the
 * whole token: a repeated token skips parsing and the signature check, which costs far more than the rest of a
 * decision. Digests only, never the token. An entry is served only before the token's `exp`; revoking a jti
 * evicts every entry of that jti. Bounded: when full, the oldest entries go first (Map order is insertion order).
 */
export class VerifiedTokenCache {
  private readonly byDigest = new Map<string, VerifiedTokenEntry>();
  private readonly digestsByJti = new Map<string, Set<string>>();

  constructor(
    private readonly maxEntries: number,
    private readonly now: () => number,
  ) {}

  get size(): number {
    return this.byDigest.size;
  }

  get(digest: string): VerifiedTokenEntry | undefined {
    const entry = this.byDigest.get(digest);
    if (entry === undefined) return undefined;
    if (this.now() < entry.expiresAt) return entry;
    this.remove(digest, entry);
    return undefined;
  }

  set(digest: string, verdict: Verdict): VerifiedTokenEntry {
    const jti = verdict.revocableId;
    const entry = { allowed: { ok: true as const, principal: verdict.principal }, expiresAt: verdict.expiresAt, jti };
    if (this.maxEntries <= 0) return entry;
    while (this.byDigest.size >= this.maxEntries) {
      const oldest = this.byDigest.keys().next().value as string;
      this.remove(oldest, this.byDigest.get(oldest)!);
    }
    this.byDigest.set(digest, entry);
    if (jti === undefined) return entry;
    const digests = this.digestsByJti.get(jti);
    if (digests) digests.add(digest);
    else this.digestsByJti.set(jti, new Set([digest]));
    return entry;
  }

  /** Forgets every verified token with this jti (a revocation). */
  evictJti(jti: string): void {
    for (const digest of this.digestsByJti.get(jti) ?? []) this.byDigest.delete(digest);
    this.digestsByJti.delete(jti);
  }

  clear(): void {
    this.byDigest.clear();
    this.digestsByJti.clear();
  }

  private remove(digest: string, entry: VerifiedTokenEntry): void {
    this.byDigest.delete(digest);
    if (entry.jti === undefined) return;
    const digests = this.digestsByJti.get(entry.jti);
    if (digests === undefined) return;
    digests.delete(digest);
    if (digests.size === 0) this.digestsByJti.delete(entry.jti);
  }
}
