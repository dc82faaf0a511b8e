import { hashApiKeySecret, newSalt, verifyApiKeySecret } from '../issue/api-key-hash.js';
import { randomBase62 } from '../util/base62.js';
import { CLIENT_ID_PATTERN } from './inputs.js';
import type { StoredSecret } from './repository.js';

/** 43 base62 characters from the CSPRNG: 43 * log2(62) = 256.03 bits. */
export const CLIENT_SECRET_LENGTH = 43;
const CLIENT_ID_LENGTH = 16;

export function newClientId(): string {
  return randomBase62(CLIENT_ID_LENGTH);
}

export function isClientId(value: string): boolean {
  return CLIENT_ID_PATTERN.test(value);
}

/**
 * A new client secret and what the store keeps of it: the API keys' `HMAC-SHA256(pepper, salt || secret)` with a
 * fresh salt (SECURITY.md #33). The plaintext is returned once, to the caller that asked for it.
 */
export function mintClientSecret(pepper: Buffer): { secret: string; stored: StoredSecret } {
  const secret = randomBase62(CLIENT_SECRET_LENGTH);
  const salt = newSalt();
  return { secret, stored: { salt, hash: hashApiKeySecret(pepper, salt, secret) } };
}

/**
 * Whether `presented` is the secret behind `stored`: the digests are compared in constant time
 * (util/constant-time.ts), the same work whatever the answer.
 */
export function clientSecretMatches(pepper: Buffer, stored: StoredSecret, presented: string): boolean {
  return verifyApiKeySecret(pepper, stored.salt, presented, stored.hash);
}

/**
 * A digest no secret matches (the HMAC of a random value nobody holds), with a salt of the real length: what a
 * presented secret is compared against when there is no client, or no previous secret, so that every client
 * authentication costs the same two comparisons, whether or not the client exists.
 */
export function unmatchableSecret(pepper: Buffer): StoredSecret {
  return mintClientSecret(pepper).stored;
}
