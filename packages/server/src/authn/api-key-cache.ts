import type { Principal } from '@warden/sdk';
import type { ApiKeyRecord } from '../store/api-keys.js';

export interface CachedApiKey {
  record: ApiKeyRecord;
  /** Built once per cache fill (frozen): the hot path hands out the same object. */
  principal: Principal;
  /** The successful verification result for this key, allocated once: a verified hit returns this object. */
  allowed: { ok: true; principal: Principal };
  storedAt: number;
}

/**
 * Bounded in-memory cache of API key records by key id, with a TTL. It holds the stored digest, never a
 * plaintext key: every request still proves its secret against the digest. Unknown ids are remembered briefly
 * so a flood of random ids cannot turn into a flood of database reads.
 *
 * Known and unknown ids are held apart, each with its own bound: a scanner sending fresh ids fills only the
 * unknown side (so enumeration cannot grow memory past `negativeMaxEntries`), and never evicts the records of
 * keys in real use.
 */
export class ApiKeyCache {
  private readonly known = new Map<string, CachedApiKey>();
  private readonly unknown = new Map<string, number>();
  /**
   * Keys already proven in full (format, checksum, record, HMAC), by a SHA-256 digest of the whole presented
   * key: a repeated key skips all of that. An entry counts only while it is still the current entry of its key
   * id in `known`, so every eviction of a record (revocation, rotation, a change seen by the poller, TTL) ends
   * its verified digests too. Digests only: the plaintext is never kept.
   */
  private readonly verified = new Map<string, CachedApiKey>();

  constructor(
    private readonly options: {
      maxEntries: number;
      ttl: number;
      negativeTtl: number;
      negativeMaxEntries: number;
      now: () => number;
    },
  ) {}

  private now(): number {
    return this.options.now();
  }

  /** A cached record, `null` for a cached "no such key", `undefined` on a miss. */
  get(id: string): CachedApiKey | null | undefined {
    const entry = this.known.get(id);
    if (entry !== undefined) {
      if (this.now() - entry.storedAt < this.options.ttl) return entry;
      this.known.delete(id);
      return undefined;
    }
    const unknownSince = this.unknown.get(id);
    if (unknownSince === undefined) return undefined;
    if (this.now() - unknownSince < this.options.negativeTtl) return null;
    this.unknown.delete(id);
    return undefined;
  }

  setKnown(record: ApiKeyRecord, principal: Principal): CachedApiKey {
    this.unknown.delete(record.id);
    const entry: CachedApiKey = { record, principal, allowed: { ok: true, principal }, storedAt: this.now() };
    putBounded(this.known, record.id, entry, this.options.maxEntries);
    return entry;
  }

  /** The entry of a key whose presented form with this digest was verified in full, while it is current. */
  getVerified(digest: string): CachedApiKey | undefined {
    const entry = this.verified.get(digest);
    if (entry === undefined) return undefined;
    // Current means: what `get` would hand out for its id now (same entry, within the TTL).
    if (this.get(entry.record.id) === entry) return entry;
    this.verified.delete(digest);
    return undefined;
  }

  /** Remembers that the key presented with this digest was verified in full against `entry`. */
  setVerified(digest: string, entry: CachedApiKey): void {
    if (this.known.get(entry.record.id) === entry) putBounded(this.verified, digest, entry, this.options.maxEntries);
  }

  setUnknown(id: string): void {
    putBounded(this.unknown, id, this.now(), this.options.negativeMaxEntries);
  }

  evict(id: string): void {
    this.known.delete(id);
    this.unknown.delete(id);
  }

  clear(): void {
    this.known.clear();
    this.unknown.clear();
    this.verified.clear();
  }

  /** Entries held, by side (exported as `warden_api_key_cache_entries`). */
  get sizes(): { known: number; unknown: number; verified: number } {
    return { known: this.known.size, unknown: this.unknown.size, verified: this.verified.size };
  }
}

/** Sets `key`, first dropping the oldest entry when the map is full (Maps iterate in insertion order). */
function putBounded<V>(map: Map<string, V>, key: string, value: V, maxEntries: number): void {
  if (maxEntries === 0) return;
  map.delete(key);
  if (map.size >= maxEntries) {
    const oldest = map.keys().next().value;
    if (oldest !== undefined) map.delete(oldest);
  }
  map.set(key, value);
}
