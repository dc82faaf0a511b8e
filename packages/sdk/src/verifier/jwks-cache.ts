import { type CryptoKey, importJWK, type JWK } from 'jose';
import { keyAccepts } from './algorithms.js';
import { TokenVerificationError } from './errors.js';
import { fetchJsonObject } from './http.js';

/** After a failed fetch, the next one waits this long, so an endpoint that is down sees at most one request a second. */
export const FAILURE_BACKOFF_MS = 1000;
/** A JWKS with more keys than this is not an issuer's key set. */
const MAX_KEYS = 100;

export interface JwksCacheOptions {
  /** Where the JWKS is: the configured `jwks_uri`, or the one discovery found (re-discovered after a failure). */
  locate(): Promise<URL>;
  /** Forgets a discovered location after a failure, so the next attempt discovers again. */
  forgetLocation(): void;
  fetch: typeof globalThis.fetch;
  timeoutMs: number;
  /** At most one refetch per cooldown for a kid the cache does not hold (SECURITY.md #13). */
  cooldownMs: number;
  /** Fetched keys are fresh this long; afterwards the next verification refetches them. */
  maxAgeMs: number;
  /** How long past `maxAgeMs` keys may still be used while refetching fails (SECURITY.md #16). */
  staleIfErrorMs: number;
  now: () => number;
}

interface PublishedKey {
  jwk: JWK;
  /** Imported once per algorithm it is used with. */
  imported: Map<string, Promise<CryptoKey | Uint8Array>>;
}

interface KeySet {
  keys: PublishedKey[];
  fetchedAt: number;
}

/**
 * The key set of one issuer, fetched from its JWKS endpoint and kept in memory.
 *
 * Written here rather than taken from jose's `createRemoteJWKSet`, which fetches on a kid miss with a cooldown,
 * a timeout and one request in flight, but past its `cacheMaxAge` must refetch before it answers and throws when
 * that fails: it has no bounded stale-if-error window, no backoff after failures, and its errors do not separate
 * "the issuer does not know this kid" (401) from "the issuer could not be asked" (503). jose still imports the
 * keys and verifies every signature.
 *
 * - **Single flight**: one fetch at a time; everyone who needs it awaits the same one (SECURITY.md #15, #18).
 * - **Unknown kid**: one refetch per `cooldownMs`, however many tokens name unknown kids (#13); the first token
 *   of a rotated key is accepted after that one refetch (#14).
 * - **Stale if error**: past `maxAgeMs` the keys are refetched; while that fails they are used for at most
 *   `staleIfErrorMs` more, then every verification is `unavailable` until a fetch succeeds (#16).
 */
export class JwksCache {
  private set: KeySet | null = null;
  private inflight: Promise<void> | null = null;
  private lastAttemptAt = Number.NEGATIVE_INFINITY;
  private lastFailureAt = Number.NEGATIVE_INFINITY;
  private lastFailure: Error | null = null;
  /** Upstream fetches started: for tests and metrics. */
  fetches = 0;

  constructor(private readonly options: JwksCacheOptions) {}

  /**
   * The key that verifies a token with this header, or null when the issuer publishes none (an unknown kid, a
   * key of another algorithm). Throws `unavailable` when the keys could not be fetched and none may be used.
   */
  async keyFor(kid: string | undefined, alg: string): Promise<CryptoKey | Uint8Array | null> {
    const set = await this.usableSet();
    const found = pick(set, kid, alg);
    if (found) return importOnce(found, alg);
    // A kid we do not hold: perhaps the issuer rotated. Join a fetch under way, or start one if the cooldown
    // allows; otherwise the answer is no, without asking upstream.
    const now = this.options.now();
    if (this.inflight === null && now - this.lastAttemptAt < this.options.cooldownMs) return null;
    await this.refresh().catch((error: unknown) => {
      throw this.unavailable(error);
    });
    const again = pick(this.set!, kid, alg);
    return again ? importOnce(again, alg) : null;
  }

  /** Fetches the keys now, or joins a fetch under way (a warm-up at start): whether it succeeded; never throws. */
  prefetch(): Promise<boolean> {
    return this.refresh().then(
      () => true,
      () => false,
    );
  }

  private async usableSet(): Promise<KeySet> {
    const { maxAgeMs, staleIfErrorMs } = this.options;
    const now = this.options.now();
    const set = this.set;
    if (set !== null && now - set.fetchedAt < maxAgeMs) return set;
    if (set !== null && now - set.fetchedAt < maxAgeMs + staleIfErrorMs) {
      if (this.lastFailureAt < set.fetchedAt) {
        // Stale for the first time: wait for the refetch, so a rotation is seen at once; on failure, use the
        // stale keys (within the window).
        await this.refresh().catch(() => {});
        return this.set!;
      }
      // Already failing: answer from the stale keys and retry in the background, never making callers wait.
      if (this.inflight === null && now - this.lastFailureAt >= FAILURE_BACKOFF_MS) void this.refresh().catch(() => {});
      return set;
    }
    // No keys, or keys past the stale window: only a successful fetch can answer.
    if (this.inflight === null && now - this.lastFailureAt < FAILURE_BACKOFF_MS)
      throw this.unavailable(this.lastFailure);
    try {
      await this.refresh();
    } catch (error) {
      throw this.unavailable(error);
    }
    return this.set!;
  }

  private refresh(): Promise<void> {
    this.inflight ??= this.load().finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  private async load(): Promise<void> {
    this.lastAttemptAt = this.options.now();
    this.fetches += 1;
    try {
      const url = await this.options.locate();
      const document = await fetchJsonObject(this.options.fetch, url, this.options.timeoutMs);
      this.set = { keys: parseKeySet(document, url), fetchedAt: this.options.now() };
      this.lastFailure = null;
    } catch (error) {
      this.lastFailureAt = this.options.now();
      this.lastFailure = error instanceof Error ? error : new Error(String(error));
      this.options.forgetLocation();
      throw error;
    }
  }

  private unavailable(cause: unknown): TokenVerificationError {
    const reason = cause instanceof Error ? `: ${cause.message}` : '';
    return new TokenVerificationError('unavailable', `The issuer's signing keys could not be fetched${reason}`, {
      cause,
    });
  }
}

function parseKeySet(document: Record<string, unknown>, url: URL): PublishedKey[] {
  const { keys } = document;
  if (!Array.isArray(keys)) throw new Error(`${url.origin}${url.pathname} is not a JWKS (no "keys" list)`);
  if (keys.length > MAX_KEYS) throw new Error(`${url.origin}${url.pathname} holds more than ${MAX_KEYS} keys`);
  return keys
    .filter((key): key is JWK => typeof key === 'object' && key !== null && typeof key.kty === 'string')
    .filter((jwk) => jwk.kty !== 'oct')
    .map((jwk) => ({ jwk, imported: new Map() }));
}

/**
 * The one key for this kid and algorithm. A token without a kid is matched only when exactly one published key
 * fits its algorithm: with several, guessing would let the token choose.
 */
function pick(set: KeySet, kid: string | undefined, alg: string): PublishedKey | null {
  if (kid !== undefined) return set.keys.find((key) => key.jwk.kid === kid && keyAccepts(key.jwk, alg)) ?? null;
  const fitting = set.keys.filter((key) => keyAccepts(key.jwk, alg));
  return fitting.length === 1 ? fitting[0]! : null;
}

function importOnce(key: PublishedKey, alg: string): Promise<CryptoKey | Uint8Array | null> {
  let imported = key.imported.get(alg);
  if (imported === undefined) {
    imported = importJWK(key.jwk, alg);
    key.imported.set(alg, imported);
  }
  // A published key that does not import (malformed) verifies nothing: the token is refused, not the issuer.
  return imported.catch(() => null);
}
