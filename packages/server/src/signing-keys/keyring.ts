import { type CryptoKey, importJWK, type JWK } from 'jose';
import { WardenError } from '../errors/warden-error.js';
import type { SigningAlgorithm } from './algorithms.js';
import { decryptPrivateKey } from './encryption.js';
import type { SigningKeyRecord, SigningKeyRepository } from './repository.js';
import { isPublished, signingKeyState } from './view.js';

/** A published public key and the one algorithm it verifies. */
export interface VerificationKey {
  kid: string;
  algorithm: SigningAlgorithm;
  key: CryptoKey;
}

/** The keys as last read from the store, with their public halves imported. */
interface Snapshot {
  /** When the read started (the copy is at least this fresh). */
  loadedAt: number;
  /** Every key not past its expiry at that time, newest first. */
  keys: readonly SigningKeyRecord[];
  publicKeys: ReadonlyMap<string, VerificationKey>;
}

export interface KeyRingOptions {
  repository: SigningKeyRepository;
  masterKey: Buffer;
  /** Longest time a copy of the keys is used before it is read again: the bound on seeing another's rotation. */
  refreshInterval: number;
  /** Creates the first key when the store has none (a new deployment). */
  ensureFirstKey: () => Promise<unknown>;
  now: () => number;
}

/**
 * Each instance's copy of the signing keys: the unexpired rows, their imported public keys and, for the active
 * key, the decrypted private key. A copy older than `refreshInterval` is read again before it is used, so a
 * rotation made by another instance (or the CLI) is seen within that bound; a read that fails is an error for
 * the caller (fail closed), never a silent use of a stale copy. Which key signs is decided by time from the
 * copy, so a scheduled activation happens on time everywhere without another read.
 *
 * A token naming a kid the copy does not hold may cause one more read, at most once per
 * {@link KeyRing.unknownKidCooldown} whatever the number of such tokens: a key activated at once by another
 * instance (`rotate --now`) is accepted within that time, and random kids cannot turn into a flood of reads.
 */
export class KeyRing {
  private snapshot: Snapshot | null = null;
  private loading: { generation: number; snapshot: Promise<Snapshot> } | null = null;
  /** Counts invalidations: a read that started before the latest one does not count as fresh. */
  private generation = 0;
  private readonly privateKeys = new Map<string, Promise<CryptoKey>>();

  constructor(private readonly options: KeyRingOptions) {}

  /** At most one read of the store per this many milliseconds is caused by unknown kids. */
  get unknownKidCooldown(): number {
    return Math.min(1_000, this.options.refreshInterval);
  }

  /** The copy of the keys, read again when older than `refreshInterval`. */
  current(): Promise<Snapshot> {
    const { snapshot } = this;
    if (snapshot !== null && this.options.now() - snapshot.loadedAt < this.options.refreshInterval) {
      return Promise.resolve(snapshot);
    }
    return this.reload();
  }

  /** Makes the next use read the keys again: after a rotation through this instance, seen here at once. */
  invalidate(): void {
    this.generation++;
    if (this.snapshot !== null) this.snapshot = { ...this.snapshot, loadedAt: Number.NEGATIVE_INFINITY };
  }

  /** Reads the keys now (one read at a time: concurrent callers share it). */
  reload(): Promise<Snapshot> {
    if (this.loading !== null && this.loading.generation === this.generation) return this.loading.snapshot;
    const loading = { generation: this.generation, snapshot: this.load(this.generation) };
    this.loading = loading;
    loading.snapshot
      .finally(() => {
        if (this.loading === loading) this.loading = null;
      })
      .catch(() => {});
    return loading.snapshot;
  }

  /** The published key `kid` names, or null; see the class comment for when this reads the store. */
  async verificationKey(kid: string): Promise<VerificationKey | null> {
    let snapshot = await this.current();
    let found = this.publishedKey(snapshot, kid);
    if (found === null && this.options.now() - snapshot.loadedAt >= this.unknownKidCooldown) {
      snapshot = await this.reload();
      found = this.publishedKey(snapshot, kid);
    }
    return found;
  }

  /** The public keys published now: next, active, and retired until their expiry. */
  async publishedKeys(): Promise<SigningKeyRecord[]> {
    const snapshot = await this.current();
    const now = this.options.now();
    return snapshot.keys.filter((key) => isPublished(key, now));
  }

  /** The key that signs now, with its decrypted private key (decrypted once per key and process). */
  async activeKey(): Promise<{ record: SigningKeyRecord; privateKey: CryptoKey }> {
    const snapshot = await this.current();
    const now = this.options.now();
    // Newest first: if clocks ever made two keys look active, the newer one signs.
    const record = snapshot.keys.find((key) => signingKeyState(key, now) === 'active');
    if (record === undefined) throw new WardenError('internal_error', 'there is no active signing key');
    return { record, privateKey: await this.privateKey(record) };
  }

  private privateKey(record: SigningKeyRecord): Promise<CryptoKey> {
    let pending = this.privateKeys.get(record.kid);
    if (pending === undefined) {
      pending = (async () => {
        const jwk = JSON.parse(decryptPrivateKey(this.options.masterKey, record.kid, record.privateKeyEncrypted));
        return (await importJWK(jwk as JWK, record.algorithm)) as CryptoKey;
      })();
      this.privateKeys.set(record.kid, pending);
      // A failure (another master key) is not remembered: the next attempt tries again and reports it again.
      pending.catch(() => this.privateKeys.delete(record.kid));
    }
    return pending;
  }

  private publishedKey(snapshot: Snapshot, kid: string): VerificationKey | null {
    const found = snapshot.publicKeys.get(kid);
    if (found === undefined) return null;
    const record = snapshot.keys.find((key) => key.kid === kid);
    return record !== undefined && isPublished(record, this.options.now()) ? found : null;
  }

  private async load(generation: number): Promise<Snapshot> {
    const { repository, now } = this.options;
    const loadedAt = now();
    let keys = await repository.unexpired(loadedAt);
    if (keys.length === 0 && (await repository.isEmpty())) {
      await this.options.ensureFirstKey();
      keys = await repository.unexpired(loadedAt);
    }
    const previous = this.snapshot?.publicKeys;
    const publicKeys = new Map<string, VerificationKey>();
    for (const key of keys) {
      const known = previous?.get(key.kid);
      publicKeys.set(
        key.kid,
        known ?? {
          kid: key.kid,
          algorithm: key.algorithm,
          key: (await importJWK(key.publicJwk, key.algorithm)) as CryptoKey,
        },
      );
    }
    // Private keys of keys that no longer sign are dropped; the next one is decrypted when it activates.
    for (const kid of this.privateKeys.keys()) {
      const key = keys.find((candidate) => candidate.kid === kid);
      if (key === undefined || signingKeyState(key, loadedAt) !== 'active') this.privateKeys.delete(kid);
    }
    const snapshot = { loadedAt, keys, publicKeys };
    // A read that an invalidation overtook answers its caller but is not kept as this instance's copy.
    if (generation === this.generation) this.snapshot = snapshot;
    return snapshot;
  }
}
