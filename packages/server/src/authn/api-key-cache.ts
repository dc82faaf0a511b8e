import type { Principal } from '@warden/sdk';
import type { ApiKeyRecord } from '../store/api-keys.js';

export interface CachedApiKey {
  record: ApiKeyRecord;
  /** Built once per cache fill (frozen): the hot path hands out the same object. */
  principal: Principal;
  storedAt: number;
}

interface UnknownKey {
  unknown: true;
  storedAt: number;
}

/**
 * Bounded in-memory cache of API key records by key id, with a TTL. It holds the stored digest, never a
 * plaintext key: every request still proves its secret against the digest. Unknown ids are remembered briefly
 * so a flood of random ids cannot turn into a flood of database reads.
 */
export class ApiKeyCache {
  private readonly entries = new Map<string, CachedApiKey | UnknownKey>();

  constructor(
    private readonly options: { maxEntries: number; ttl: number; negativeTtl: number },
    private readonly now: () => number,
  ) {}

  /** A cached record, `null` for a cached "no such key", `undefined` on a miss. */
  get(id: string): CachedApiKey | null | undefined {
    const entry = this.entries.get(id);
    if (entry === undefined) return undefined;
    const age = this.now() - entry.storedAt;
    if ('unknown' in entry) {
      if (age < this.options.negativeTtl) return null;
    } else if (age < this.options.ttl) {
      return entry;
    }
    this.entries.delete(id);
    return undefined;
  }

  setKnown(record: ApiKeyRecord, principal: Principal): void {
    this.put(record.id, { record, principal, storedAt: this.now() });
  }

  setUnknown(id: string): void {
    this.put(id, { unknown: true, storedAt: this.now() });
  }

  evict(id: string): void {
    this.entries.delete(id);
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  private put(id: string, entry: CachedApiKey | UnknownKey): void {
    if (this.options.maxEntries === 0) return;
    this.entries.delete(id);
    if (this.entries.size >= this.options.maxEntries) {
      // Maps iterate in insertion order: the first entry is the oldest.
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(id, entry);
  }
}
