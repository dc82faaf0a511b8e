import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { WardenError } from '../errors/warden-error.js';

/**
 * Private signing keys at rest: AES-256-GCM under the master key, a fresh random 96-bit IV per key, and the key's
 * `kid` as additional authenticated data, so a ciphertext moved to another row (another kid) fails to decrypt.
 * Stored as `v1.<iv>.<ciphertext>.<tag>` (base64url); the version prefix lets a later format (or a re-encryption
 * under a new master key) tell the texts apart.
 */
const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export function encryptPrivateKey(masterKey: Buffer, kid: string, plaintext: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', masterKey, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(kid, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [VERSION, iv, ciphertext, cipher.getAuthTag()]
    .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
    .join('.');
}

/**
 * The plaintext of {@link encryptPrivateKey}. A text that does not decrypt (another master key, a ciphertext of
 * another kid, a damaged row) is `master_key_mismatch`; the message names the kid, never any key material.
 */
export function decryptPrivateKey(masterKey: Buffer, kid: string, stored: string): string {
  const [version, iv, ciphertext, tag, ...rest] = stored.split('.');
  if (version !== VERSION || rest.length > 0 || !iv || ciphertext === undefined || !tag) {
    throw new WardenError('master_key_mismatch', `signing key ${kid}: the stored private key is not in a known format`);
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', masterKey, Buffer.from(iv, 'base64url'), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(Buffer.from(kid, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    throw new WardenError(
      'master_key_mismatch',
      `signing key ${kid} cannot be decrypted: the master key (secrets.master_key, WARDEN_MASTER_KEY, or ` +
        '<data_dir>/master.key) differs from the one it was encrypted with',
    );
  }
}
