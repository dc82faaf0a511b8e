import type { ApiKeyRepository } from '../store/api-keys.js';
import { PeriodicTask } from './periodic-task.js';

export interface ApiKeyChangePollerOptions {
  repository: ApiKeyRepository;
  intervalMs: number;
  /** Drops one key from the cache. */
  evict: (id: string) => void;
  /** Drops every key (after a bulk change). */
  evictAll: () => void;
  now: () => number;
  /** Told about a failed poll; the next one tries again, and the cache stops being trusted meanwhile. */
  onError: (error: unknown) => void;
}

/**
 * Cross-process invalidation for stores without a shared bus: every instance polls "which keys changed since
 * T" and evicts them from its cache. T looks back a few seconds so writes that committed late, or were stamped
 * by a process whose clock runs slightly behind, are not missed; evicting twice is harmless.
 *
 * Bound: a revocation made by another process reaches this instance within one poll interval plus the query
 * time (default 250 ms). If polling stops succeeding, the cache is no longer trusted (see `isFresh`) and every
 * verification reads the store, so a stale cache can never keep a revoked key alive: fail closed.
 */
export class ApiKeyChangePoller {
  static readonly LOOKBACK_MS = 5_000;
  static readonly MAX_IDS = 10_000;
  private lastSuccessAt: number;
  private readonly task: PeriodicTask;

  constructor(private readonly options: ApiKeyChangePollerOptions) {
    this.lastSuccessAt = options.now();
    // The first poll waits one interval: the cache starts empty, so there is nothing to evict yet.
    this.task = new PeriodicTask({
      intervalMs: options.intervalMs,
      run: () => this.poll(),
      onError: options.onError,
      runAtStart: false,
    });
  }

  start(): void {
    this.task.start();
  }

  /** True while the last successful poll is recent enough for cached entries to be trusted. */
  isFresh(): boolean {
    return this.options.now() - this.lastSuccessAt <= Math.max(1_000, this.options.intervalMs * 4);
  }

  /** One poll now (shared with a poll in progress); never rejects: a failure goes to `onError`. */
  pollOnce(): Promise<void> {
    return this.task.runOnce();
  }

  async stop(): Promise<void> {
    await this.task.stop();
  }

  private async poll(): Promise<void> {
    const startedAt = this.options.now();
    const since = this.lastSuccessAt - ApiKeyChangePoller.LOOKBACK_MS;
    const changed = await this.options.repository.changedSince(since, ApiKeyChangePoller.MAX_IDS + 1);
    // After a bulk write, dropping the whole cache is cheaper than evicting id by id.
    if (changed.length > ApiKeyChangePoller.MAX_IDS) this.options.evictAll();
    else for (const id of changed) this.options.evict(id);
    this.lastSuccessAt = startedAt;
  }
}
