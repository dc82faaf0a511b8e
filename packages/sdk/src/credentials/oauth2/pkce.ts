import { createHash, randomBytes } from 'node:crypto';

/** RFC 7636: a 43-character verifier (256 bits) and its S256 challenge. */
export function createPkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  return { verifier, challenge };
}

/** An unguessable value for `state` (CSRF protection of the redirect). */
export function randomState(): string {
  return randomBytes(24).toString('base64url');
}
