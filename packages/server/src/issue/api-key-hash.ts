import { createHash, createHmac, randomBytes } from 'node:crypto';
import { constantTimeEqual } from '../util/constant-time.js';

/** HMAC-SHA256(pepper, salt || secret), hex. The store only ever sees this digest (SECURITY.md #33). */
export function hashApiKeySecret(pepper: Buffer, salt: string, secret: string): string {
  return createHmac('sha256', pepper).update(salt).update(secret).digest('hex');
}

export function newSalt(): string {
  return randomBytes(16).toString('hex');
}

export function verifyApiKeySecret(pepper: Buffer, salt: string, secret: string, storedDigest: string): boolean {
  return constantTimeEqual(hashApiKeySecret(pepper, salt, secret), storedDigest);
}

/** Digest used for static keys given pre-hashed in config (`sha256:<hex>`): plain SHA-256 of the whole key. */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}
