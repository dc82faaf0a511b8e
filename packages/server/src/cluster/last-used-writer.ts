import type { ApiKeyRepository } from '../store/api-keys.js';

/**
 * Write-behind of `last_used_at`: the hot path only records the time in memory; one batch per interval goes
 * to the store. A crash loses at most one interval of last-used times, never a decision.
 */
export class LastUsedWriter {
  private pending = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly options: {
      repository: ApiKeyRepository;
      intervalMs: number;
      /** Told about a failed write; the batch is kept for the next one. */
      onError: (error: unknown) => void;
    },
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.flush(), this.options.intervalMs);
    this.timer.unref();
  }

  touch(id: string, at: number): void {
    this.pending.set(id, at);
  }

  /** The time recorded in memory but not yet written, if any. */
  pendingFor(id: string): number | undefined {
    return this.pending.get(id);
  }

  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.pending.size === 0) return;
      const batch = this.pending;
      this.pending = new Map();
      try {
        await this.options.repository.recordLastUsed(batch);
      } catch (error) {
        // Keep the newest times for the next attempt rather than losing them.
        for (const [id, at] of batch) if (!this.pending.has(id)) this.pending.set(id, at);
        this.options.onError(error);
      }
    });
    return this.flushing;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }
}
