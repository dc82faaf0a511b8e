/**
 * Caps how many failed-verification audit events one key id or peer can write per window, so a credential
 * stuffing flood cannot fill the disk. Suppressed events are counted and reported on the next written one.
 */
export class AuditRateLimiter {
  private readonly buckets = new Map<string, { windowStart: number; written: number; suppressed: number }>();

  constructor(
    private readonly perWindow: number,
    private readonly windowMs = 60_000,
    private readonly maxBuckets = 10_000,
  ) {}

  /** Whether to write this event, and how many were suppressed for the same bucket since the last one written. */
  admit(bucket: string, now: number): { write: boolean; suppressed: number } {
    let state = this.buckets.get(bucket);
    if (state && now - state.windowStart >= this.windowMs) {
      state.windowStart = now;
      state.written = 0;
    }
    if (!state) {
      if (this.buckets.size >= this.maxBuckets) this.sweep(now);
      if (this.buckets.size >= this.maxBuckets) return { write: false, suppressed: 0 };
      state = { windowStart: now, written: 0, suppressed: 0 };
      this.buckets.set(bucket, state);
    }
    if (state.written >= this.perWindow) {
      state.suppressed++;
      return { write: false, suppressed: 0 };
    }
    state.written++;
    const suppressed = state.suppressed;
    state.suppressed = 0;
    return { write: true, suppressed };
  }

  private sweep(now: number): void {
    for (const [bucket, state] of this.buckets) {
      if (now - state.windowStart >= this.windowMs) this.buckets.delete(bucket);
    }
  }
}
