import type { Principal } from '@warden/sdk';
import type { StaticKeyIdentity } from '../config/schema.js';
import { sha256Hex } from '../issue/api-key-hash.js';
import { constantTimeEqual } from '../util/constant-time.js';
import { principalFromStaticKey } from './principal-from-key.js';

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
