import type { MaybePromise } from '../../util/maybe-promise.js';
import { spkiSha256 } from '../public-key.js';

/** What a registry says of a subject: the pinned key, and what the principal of a matching certificate holds. */
export interface PinnedKey {
  /** SPKI DER. */
  spki: Buffer;
  scopes: readonly string[];
  roles: readonly string[];
  tenant: string | null;
}

/** Where the expected key of a subject comes from: the store or a remote registry. Rejects on a fault. */
export type PinSource = (subject: string) => Promise<PinnedKey | null>;

/** A pin as the authenticator compares it: one frozen object per lookup, so principals can be cached by it. */
export interface Pin {
  /** SHA-256 (hex) of the pinned SPKI. */
  sha256: string;
  scopes: readonly string[];
  roles: readonly string[];
  tenant: string | null;
}

interface Entry {
  /** Null: nothing is pinned for the subject. */
  pin: Pin | null;
  expiresAt: number;
}

const pinOf = (key: PinnedKey | null): Pin | null =>
  key === null
    ? null
    : Object.freeze({ sha256: spkiSha256(key.spki), scopes: key.scopes, roles: key.roles, tenant: key.tenant });

/**
 * The pinned key of each subject, remembered for a bounded time (`mtls.pins.cache_ttl`) so the decision path
 * reads the registry once per subject per TTL, not per request. Absences are remembered too (a flood of
 * unregistered subjects costs one lookup each per TTL). Faults are not remembered: every decision asks again,
 * one lookup per subject at a time (single flight), and fails closed until the registry answers. `evict` (a pin
 * or unpin in this process) takes effect at once; a change elsewhere within the TTL.
 */
export class PinCache {
  private readonly entries = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<Pin | null>>();
  /** Bumped by evict/clear, so a lookup that started before an eviction does not store what it read. */
  private generation = 0;

  constructor(
    private readonly source: PinSource,
    private readonly options: { ttlMs: number; maxEntries: number; now: () => number },
  ) {}

  /** The pin of `subject` (null: none), from memory when it can. */
  get(subject: string): MaybePromise<Pin | null> {
    const entry = this.entries.get(subject);
    if (entry !== undefined && entry.expiresAt > this.options.now()) return entry.pin;
    const pending = this.inFlight.get(subject);
    if (pending !== undefined) return pending;
    const generation = this.generation;
    const lookup: Promise<Pin | null> = this.source(subject)
      .then((key) => {
        const pin = pinOf(key);
        if (generation === this.generation) this.remember(subject, pin);
        return pin;
      })
      .finally(() => {
        if (this.inFlight.get(subject) === lookup) this.inFlight.delete(subject);
      });
    this.inFlight.set(subject, lookup);
    return lookup;
  }

  evict(subject: string): void {
    this.generation++;
    this.entries.delete(subject);
    this.inFlight.delete(subject);
  }

  clear(): void {
    this.generation++;
    this.entries.clear();
    this.inFlight.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  private remember(subject: string, pin: Pin | null): void {
    if (this.options.maxEntries === 0 || this.options.ttlMs === 0) return;
    this.entries.delete(subject);
    if (this.entries.size >= this.options.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(subject, { pin, expiresAt: this.options.now() + this.options.ttlMs });
  }
}
