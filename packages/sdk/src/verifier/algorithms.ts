import type { JWK } from 'jose';

/** Asymmetric JWS algorithms a verifier may allow for an issuer that publishes a JWKS. */
export const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;

/** HMAC algorithms and the shortest secret each accepts, in bytes (RFC 7518 §3.2: at least the hash size). */
export const HMAC_MIN_SECRET_BYTES: Readonly<Record<string, number>> = { HS256: 32, HS384: 48, HS512: 64 };

export const isHmac = (alg: string): boolean => Object.hasOwn(HMAC_MIN_SECRET_BYTES, alg);
export const isAsymmetric = (alg: string): boolean => (ASYMMETRIC_ALGORITHMS as readonly string[]).includes(alg);

const EC_CURVES: Readonly<Record<string, string>> = { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' };

/**
 * Whether a published key may verify a token signed with `alg`. One key, one algorithm (RFC 8725 §3.1): a key
 * that names its `alg` is used with that one only; otherwise its type decides (an EC key's curve fixes the
 * algorithm; an RSA key takes the RSA algorithms the verifier allows). Symmetric (`oct`) keys in a JWKS are never
 * used, so a public document can never become an HMAC secret.
 */
export function keyAccepts(jwk: JWK, alg: string): boolean {
  if (jwk.use !== undefined && jwk.use !== 'sig') return false;
  if (Array.isArray(jwk.key_ops) && !jwk.key_ops.includes('verify')) return false;
  if (jwk.alg !== undefined) return jwk.alg === alg && jwk.kty !== 'oct';
  switch (jwk.kty) {
    case 'RSA':
      return /^(RS|PS)(256|384|512)$/.test(alg);
    case 'EC':
      return typeof jwk.crv === 'string' && EC_CURVES[jwk.crv] === alg;
    case 'OKP':
      return jwk.crv === 'Ed25519' && (alg === 'EdDSA' || alg === 'Ed25519');
    default:
      return false;
  }
}
