import { createHash, createPublicKey } from 'node:crypto';
import { strictBase64 } from './pem.js';

/**
 * A public key as pins hold it: the DER of its SubjectPublicKeyInfo (SPKI), and the SHA-256 of that DER, which
 * is what a certificate is compared by (the same digest HPKP and `openssl pkey -pubin -outform der | sha256sum`
 * give).
 */
export interface PinnedKey {
  spki: Buffer;
  /** SHA-256 of the SPKI DER, hex. */
  sha256: string;
}

export function spkiSha256(spki: Uint8Array): string {
  return createHash('sha256').update(spki).digest('hex');
}

/**
 * A public key given as PEM (`-----BEGIN PUBLIC KEY-----`) or as base64 of its SPKI DER, as a registry or a
 * `certs pin` caller gives it; null when it is neither. The key is loaded by node, so garbage never counts as a key.
 */
export function parsePublicKey(text: string): PinnedKey | null {
  const trimmed = text.trim();
  try {
    const key = trimmed.startsWith('-----BEGIN')
      ? createPublicKey({ key: trimmed, format: 'pem' })
      : (() => {
          const der = strictBase64(trimmed.replace(/\s+/g, ''));
          if (der === null) throw new Error('not base64');
          return createPublicKey({ key: der, format: 'der', type: 'spki' });
        })();
    if (key.type !== 'public') return null;
    const spki = key.export({ format: 'der', type: 'spki' });
    return { spki, sha256: spkiSha256(spki) };
  } catch {
    return null;
  }
}

/** The PEM text of an SPKI: what `certs pins` prints and the registry format's canonical form. */
export function spkiToPem(spki: Buffer): string {
  return createPublicKey({ key: spki, format: 'der', type: 'spki' }).export({ format: 'pem', type: 'spki' }).toString();
}
