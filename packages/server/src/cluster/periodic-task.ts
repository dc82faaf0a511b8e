/**
 * A background task every instance runs: once at start (unless `runAtStart` is false), then every `intervalMs`,
 * never two rounds at once (a round asked for while one runs shares it), and a failed round is reported, never
 * thrown: the next one tries again. The signing keys' maintenance, the API key change poller, the revoked-token
 * poll and the stores' cleanups are such tasks.
 */
export class PeriodicTask {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly options: {
      intervalMs: number;
      /** One round. */
      run: () => Promise<void>;
      /** Told about a failed round; the next one tries again. */
      onError: (error: unknown) => void;
      /** Run a first round at `start` (default true); false: the first round waits one interval. */
      runAtStart?: boolean;
    },
  ) {}

  start(): void {
    if (this.timer) return;
    if (this.options.runAtStart !== false) void this.runOnce();
    this.timer = setInterval(() => void this.runOnce(), this.options.intervalMs);
    this.timer.unref();
  }

  /** One round now (shared with a round in progress); never rejects. */
  runOnce(): Promise<void> {
    this.running ??= this.options
      .run()
      .catch((error: unknown) => this.options.onError(error))
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
