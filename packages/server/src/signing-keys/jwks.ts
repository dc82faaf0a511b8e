import type { JSONWebKeySet } from 'jose';
import { publicMembers } from './generation.js';
import type { SigningKeyRecord } from './repository.js';

/**
 * The JWKS of `/.well-known/jwks.json` from the published keys: public members only (the stored public JWK never
 * holds private ones; they are stripped again here as a second line of defence), with kid, alg and use.
 */
export function publicJwks(keys: readonly SigningKeyRecord[]): JSONWebKeySet {
  return {
    keys: keys.map((key) => ({ ...publicMembers(key.publicJwk), kid: key.kid, alg: key.algorithm, use: 'sig' })),
  };
}
