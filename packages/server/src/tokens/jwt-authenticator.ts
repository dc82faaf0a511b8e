import { hash } from 'node:crypto';
import { decodeJwt } from 'jose';
import { looksLikeJwt, type PresentedCredential } from '../authn/presented.js';
import { type Authenticator, type AuthResult, denied } from '../authn/types.js';
import type { TokenVerifier } from './token-verifier.js';
import type { VerifiedTokenCache } from './verified-tokens.js';

/**
 * Bearer JWTs, from Warden itself or a trusted external issuer. A token verified once is answered from the
 * verified-token cache (by a SHA-256 digest of the whole token) until its `exp`: no parsing, no signature check.
 * Otherwise the token's `iss`, read without trusting it, picks the verifier, which checks the signature against
 * that issuer's keys and every claim (including `iss`); a token of an issuer nobody configured is refused.
 */
export class JwtAuthenticator implements Authenticator {
  readonly kind = 'jwt' as const;
  private readonly verifiers: ReadonlyMap<string, TokenVerifier>;

  constructor(
    verifiers: readonly TokenVerifier[],
    private readonly cache: VerifiedTokenCache,
  ) {
    this.verifiers = new Map(verifiers.map((verifier) => [verifier.issuer, verifier]));
  }

  accepts(credential: PresentedCredential): boolean {
    return credential.source === 'authorization' && credential.scheme === 'bearer' && looksLikeJwt(credential.value);
  }

  authenticate(credential: PresentedCredential): AuthResult | Promise<AuthResult> {
    const token = 'value' in credential ? credential.value : '';
    const digest = hash('sha256', token, 'base64');
    return this.cache.get(digest) ?? this.verify(token, digest);
  }

  private async verify(token: string, digest: string): Promise<AuthResult> {
    const verifier = this.verifiers.get(unverifiedIssuer(token) ?? '');
    if (verifier === undefined) return denied('invalid_credentials', 'The token is not from a trusted issuer.');
    const verified = await verifier.verify(token);
    if (!('principal' in verified)) return verified;
    return this.cache.set(digest, verified);
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
