/**
 * The signing keys' background task on every instance, once per `signing_keys.refresh_interval`: create the
 * first key on a new deployment, publish the next key when an automatic rotation is due, and read the keys
 * again so signing and verification rarely wait for the store. Any number of instances may run it at once:
 * the store lets one of them create a key and the others find it.
 */
export class SigningKeyMaintenance {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly options: {
      intervalMs: number;
      /** One round: first key, automatic rotation, reload. */
      run: () => Promise<void>;
      /** Told about a failed round; the next one tries again. */
      onError: (error: unknown) => void;
    },
  ) {}

  start(): void {
    if (this.timer) return;
    void this.runOnce();
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
