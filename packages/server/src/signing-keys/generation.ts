import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import type { SigningAlgorithm } from './algorithms.js';

/** A new key pair as JWKs: the public one is published, the private one is encrypted before it is stored. */
export interface GeneratedSigningKey {
  kid: string;
  algorithm: SigningAlgorithm;
  /** kty and its public members, plus kid, alg and use. */
  publicJwk: JWK;
  privateJwk: JWK;
}

/** The private members a JWK may hold (RFC 7518 section 6): none of them is ever published. */
export const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/** A key id: 128 random bits, base64url (URL-safe, 22 characters), unrelated to the key material. */
export function newKid(): string {
  return randomBytes(16).toString('base64url');
}

/** The public members of `jwk` only, whatever it held: what the JWKS and the store's public column carry. */
export function publicMembers(jwk: JWK): JWK {
  const copy: Record<string, unknown> = { ...jwk };
  for (const member of PRIVATE_JWK_MEMBERS) delete copy[member];
  return copy as JWK;
}

/**
 * Generates a key pair for `algorithm`: Ed25519 for EdDSA, P-256 for ES256, RSA of `rsaModulusLength` bits (at
 * least 2048, held by the configuration) for RS256.
 */
export async function generateSigningKey(
  algorithm: SigningAlgorithm,
  rsaModulusLength: number,
): Promise<GeneratedSigningKey> {
  const options =
    algorithm === 'RS256' ? { modulusLength: rsaModulusLength } : algorithm === 'EdDSA' ? { crv: 'Ed25519' } : {};
  const { publicKey, privateKey } = await generateKeyPair(algorithm, { ...options, extractable: true });
  const kid = newKid();
  const labels = { kid, alg: algorithm, use: 'sig' };
  return {
    kid,
    algorithm,
    publicJwk: { ...publicMembers(await exportJWK(publicKey)), ...labels },
    privateJwk: { ...(await exportJWK(privateKey)), ...labels },
  };
}
