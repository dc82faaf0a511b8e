import type { Principal } from '@warden/sdk';
import type { StaticKeyIdentity } from '../config/schema.js';
import { sha256Hex } from '../issue/api-key-hash.js';
import { constantTimeEqual } from '../util/constant-time.js';
import { principalFromStaticKey } from './principal-from-key.js';

/** A static key as long as an issued key's secret is strong (openssl rand -base64 32 prints 44 characters). */
export const STRONG_STATIC_KEY_LENGTH = 32;

/** Entropy a static key should hold at the least, by the estimates below: that of an issued key's secret. */
const STRONG_STATIC_KEY_BITS = 128;

/** Shannon entropy per character of the text itself: low when a few characters make up most of it (`aaaa`, `abab`). */
function shannonBitsPerCharacter(text: string): number {
  const counts = new Map<string, number>();
  for (const char of text) counts.set(char, (counts.get(char) ?? 0) + 1);
  const length = [...text].length;
  let bits = 0;
  for (const count of counts.values()) bits -= (count / length) * Math.log2(count / length);
  return bits;
}

/** The entropy of a key drawn at random from the classes of characters it uses: low for a key of digits only. */
function characterClassBits(text: string): number {
  const classes: [RegExp, number][] = [
    [/[0-9]/, 10],
    [/[a-z]/, 26],
    [/[A-Z]/, 26],
    [/[^0-9a-zA-Z]/, 33],
  ];
  const pool = classes.reduce((size, [pattern, count]) => size + (pattern.test(text) ? count : 0), 0);
  return [...text].length * Math.log2(pool);
}

/**
 * Why a static key (plaintext) is weak, or null when nothing suggests it is: shorter than an issued secret, one
 * pattern repeated, a few characters repeated, or drawn from too few kinds of characters. Estimates only: a key
 * that passes may still be guessable; one that fails surely is. The reason never quotes the key.
 */
export function weakStaticKeyReason(key: string): string | null {
  if ([...key].length < STRONG_STATIC_KEY_LENGTH) return `shorter than ${STRONG_STATIC_KEY_LENGTH} characters`;
  if (/^(.+?)\1+$/su.test(key)) return 'one pattern repeated';
  // Random hex, the poorest common alphabet, scores about 3.6; a random key under 2.5 is very unlikely.
  if (shannonBitsPerCharacter(key) < 2.5) return 'low entropy: a few characters repeated';
  if (characterClassBits(key) < STRONG_STATIC_KEY_BITS) return 'low entropy: too few kinds of characters';
  return null;
}

interface StaticEntry {
  digest: string;
  principal: Principal;
}

/**
 * Keys declared in configuration (`api_keys.static`) or with `--api-key`. They are held as SHA-256 digests
 * only, whether the config gave the plaintext or `sha256:<hex>`; a plaintext entry is reported so the
 * operator can replace it.
 */
export class StaticApiKeys {
  private readonly byDigest = new Map<string, StaticEntry>();
  readonly plaintextCount: number;

  constructor(keys: Readonly<Record<string, StaticKeyIdentity>>) {
    let plaintext = 0;
    for (const [key, identity] of Object.entries(keys)) {
      const hashed = /^sha256:([0-9a-fA-F]{64})$/.exec(key);
      if (!hashed) plaintext++;
      const digest = hashed ? hashed[1]!.toLowerCase() : sha256Hex(key);
      const principal = principalFromStaticKey(identity, `static:${digest.slice(0, 12)}`);
      this.byDigest.set(digest, { digest, principal });
    }
    this.plaintextCount = plaintext;
  }

  get size(): number {
    return this.byDigest.size;
  }

  /** The principal for a static key, or null when the value is not one. */
  match(presented: string): Principal | null {
    if (this.byDigest.size === 0) return null;
    const digest = sha256Hex(presented);
    const entry = this.byDigest.get(digest);
    return entry && constantTimeEqual(entry.digest, digest) ? entry.principal : null;
  }
}
