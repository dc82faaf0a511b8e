import { hash } from 'node:crypto';
import { decodeJwt } from 'jose';
import { looksLikeJwt, type PresentedCredential } from '../authn/presented.js';
import { type Authenticator, type AuthResult, denied } from '../authn/types.js';
import type { TokenVerifier } from './token-verifier.js';
import type { VerifiedTokenCache, VerifiedTokenEntry } from './verified-tokens.js';

/** Whether an access token's jti is on the deny-list: synchronous when no store read is needed. */
export interface RevocationCheck {
  isRevoked(jti: string): boolean | Promise<boolean>;
}

const REVOKED = denied('revoked', 'The token has been revoked.');

/**
 * Bearer JWTs, from Warden itself or a trusted external issuer. A token verified once is answered from the
 * verified-token cache (by a SHA-256 digest of the whole token) until its `exp`: no parsing, no signature check.
 * Otherwise the token's `iss`, read without trusting it, picks the verifier, which checks the signature against
 * that issuer's keys and every claim (including `iss`); a token of an issuer nobody configured is refused.
 * Warden's own tokens (those with a revocable jti) are checked against the deny-list on every decision, cached
 * or not, so a revocation is honoured within the deny-list's bound.
 */
export class JwtAuthenticator implements Authenticator {
  readonly kind = 'jwt' as const;
  private readonly verifiers: ReadonlyMap<string, TokenVerifier>;

  constructor(
    verifiers: readonly TokenVerifier[],
    private readonly cache: VerifiedTokenCache,
    private readonly revocations: RevocationCheck,
  ) {
    this.verifiers = new Map(verifiers.map((verifier) => [verifier.issuer, verifier]));
  }

  accepts(credential: PresentedCredential): boolean {
    return credential.source === 'authorization' && credential.scheme === 'bearer' && looksLikeJwt(credential.value);
  }

  authenticate(credential: PresentedCredential): AuthResult | Promise<AuthResult> {
    const token = 'value' in credential ? credential.value : '';
    const digest = hash('sha256', token, 'base64');
    const cached = this.cache.get(digest);
    return cached === undefined ? this.verify(token, digest) : this.unlessRevoked(cached);
  }

  private unlessRevoked(entry: VerifiedTokenEntry): AuthResult | Promise<AuthResult> {
    if (entry.jti === undefined) return entry.allowed;
    const revoked = this.revocations.isRevoked(entry.jti);
    if (typeof revoked === 'boolean') return revoked ? REVOKED : entry.allowed;
    return revoked.then((isRevoked) => (isRevoked ? REVOKED : entry.allowed));
  }

  private async verify(token: string, digest: string): Promise<AuthResult> {
    const verifier = this.verifiers.get(unverifiedIssuer(token) ?? '');
    if (verifier === undefined) return denied('invalid_credentials', 'The token is not from a trusted issuer.');
    const verified = await verifier.verify(token);
    if (!('principal' in verified)) return verified;
    return this.unlessRevoked(this.cache.set(digest, verified));
  }
}

/** The `iss` claim as the token states it, or null when the payload does not decode: only to pick a verifier. */
function unverifiedIssuer(token: string): string | null {
  try {
    const { iss } = decodeJwt(token);
    return typeof iss === 'string' ? iss : null;
  } catch {
    return null;
  }
}
