/**
 * What the signing keys configuration refers to, kept free of imports so the configuration schema can use it
 * without loading the JOSE library.
 */

/** JWS algorithms of Warden's signing keys: EdDSA (Ed25519, the default), ES256 (P-256) and RS256 (RSA). */
export const SIGNING_ALGORITHMS = ['EdDSA', 'ES256', 'RS256'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

/**
 * How long relying parties may cache `/.well-known/jwks.json` (`Cache-Control: max-age`). A rotation publishes the
 * next key at least this long before it signs (`signing_keys.publish_ahead` may not be shorter), so a cache
 * fetched just before the rotation has expired by the time a token signed with the new key arrives.
 */
export const JWKS_MAX_AGE_SECONDS = 300;
