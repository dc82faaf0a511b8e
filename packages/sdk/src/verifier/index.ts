export { ASYMMETRIC_ALGORITHMS } from './algorithms.js';
export type { ClaimMapping, ClaimPath } from './claims.js';
export { principalFromClaims } from './claims.js';
export type { VerificationErrorCode } from './errors.js';
export { TokenVerificationError, VERIFICATION_ERROR_CODES, VerifierConfigError } from './errors.js';
export { FAILURE_BACKOFF_MS } from './jwks-cache.js';
export type { VerifiedJwt, Verifier, VerifierOptions } from './verifier.js';
export { createVerifier, VERIFIER_DEFAULTS } from './verifier.js';
