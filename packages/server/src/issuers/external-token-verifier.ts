import { TokenVerificationError, type Verifier } from '@warden/sdk/verifier';
import { denied } from '../authn/types.js';
import type { TokenRejection, TokenVerifier, VerifiedToken } from '../tokens/token-verifier.js';

/**
 * The decision path's verifier for one external issuer: the SDK's verifier (signature against the issuer's JWKS,
 * RFC 8725 checks, claim mapping) with its answers turned into the chain's values. A token that is not valid is a
 * denial; keys that cannot be fetched are a fault and reject, so the decision is a 503 `unavailable`, never an
 * allow and never a 401 that would tell a client its good token is bad.
 */
export class ExternalTokenVerifier implements TokenVerifier {
  readonly issuer: string;

  constructor(private readonly verifier: Verifier) {
    this.issuer = verifier.issuer;
  }

  async verify(token: string): Promise<VerifiedToken | TokenRejection> {
    try {
      const { principal, expiresAt } = await this.verifier.verifyToken(token);
      // No revocableId: Warden cannot revoke another issuer's tokens; they are cached until their exp at most.
      return { principal, expiresAt };
    } catch (error) {
      if (!(error instanceof TokenVerificationError) || error.code === 'unavailable') throw error;
      return denied(error.code, error.message) as TokenRejection;
    }
  }
}
