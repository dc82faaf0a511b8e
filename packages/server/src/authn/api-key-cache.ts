import type { Principal } from '@warden/sdk';
import type { ApiKeyRecord } from '../store/api-keys.js';

export interface CachedApiKey {
  record: ApiKeyRecord;
  /** Built once per cache fill (frozen): the hot path hands out the same object. */
  principal: Principal;
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

  private readonly now: () => number;

  constructor(
    private readonly options: {
      maxEntries: number;
      ttl: number;
      negativeTtl: number;
      negativeMaxEntries: number;
      now: () => number;
    },
  ) {
    this.now = options.now;
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

  setKnown(record: ApiKeyRecord, principal: Principal): void {
    this.unknown.delete(record.id);
    putBounded(this.known, record.id, { record, principal, storedAt: this.now() }, this.options.maxEntries);
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
  }

  /** Entries held, by side (exported as `warden_api_key_cache_entries`). */
  get sizes(): { known: number; unknown: number } {
    return { known: this.known.size, unknown: this.unknown.size };
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
