import type { Principal } from '@warden/sdk';
import type { AuthResult } from '../authn/types.js';

/** A token verified in full: who it names, and how long the verdict may be reused. */
export interface VerifiedToken {
  principal: Principal;
  /** The token's `exp`, epoch milliseconds: the verdict is never reused past it. */
  expiresAt: number;
  /** The token's `jti` when its issuer lets Warden revoke it (Warden's own tokens): revocation evicts by it. */
  revocableId?: string;
}

/** A denial: the token is not valid (bad signature, expired, wrong audience, claims missing). */
export type TokenRejection = Extract<AuthResult, { ok: false }>;

/**
 * Verifies the JWTs of one issuer: Warden's own access tokens, or an external OIDC issuer's. The JWT
 * authenticator picks the verifier by the token's (unverified) `iss` and caches what it answers; the verifier
 * checks everything else, including that `iss` again. A fault (a store or JWKS endpoint that cannot answer)
 * rejects: the decision is a 503, never an allow.
 */
export interface TokenVerifier {
  /** The exact `iss` value this verifier is for. */
  readonly issuer: string;
  verify(token: string): Promise<VerifiedToken | TokenRejection>;
}
