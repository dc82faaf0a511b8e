/** One budget an event is counted against: e.g. `{ scope: 'peer', bucket: 'peer:203.0.113.9', limit: 30 }`. */
export interface AuditBudget {
  /** What the budget is per (`credential`, `peer`, `instance`): the name its suppressed count is reported under. */
  scope: string;
  bucket: string;
  limit: number;
}

interface BucketState {
  windowStart: number;
  written: number;
  suppressed: number;
}

/**
 * Caps how many failed-verification audit events are written per window, counting each event against several
 * budgets at once (per credential id, per peer, per instance): an event is written only while every one of its
 * budgets has room, so neither one credential, nor one address sending fresh ids, nor many addresses together
 * can fill the disk. Suppressed events are counted in each budget they touched and reported on the next event
 * written for that budget.
 *
 * Memory is bounded: at most `maxBuckets` buckets; when full, expired ones are swept, and an event whose bucket
 * finds no room is suppressed (counted in the budgets that do have a bucket, at least the instance one).
 */
export class AuditRateLimiter {
  private readonly buckets = new Map<string, BucketState>();

  constructor(
    private readonly windowMs = 60_000,
    private readonly maxBuckets = 10_000,
  ) {}

  /**
   * Whether to write this event; when it is written, how many events were suppressed since the last one written
   * in each of its budgets (scopes with none are left out).
   */
  admit(budgets: readonly AuditBudget[], now: number): { write: boolean; suppressed: Record<string, number> } {
    const states: BucketState[] = [];
    let exhausted = false;
    for (const budget of budgets) {
      // Once one budget is spent the event is suppressed: existing buckets count it, no new ones are made.
      const state = this.bucket(budget.bucket, now, !exhausted);
      if (state === null) {
        exhausted = true;
        continue;
      }
      states.push(state);
      if (state.written >= budget.limit) exhausted = true;
    }
    if (exhausted) {
      for (const state of states) state.suppressed++;
      return { write: false, suppressed: {} };
    }
    const suppressed: Record<string, number> = {};
    budgets.forEach((budget, i) => {
      const state = states[i]!;
      state.written++;
      if (state.suppressed > 0) suppressed[budget.scope] = state.suppressed;
      state.suppressed = 0;
    });
    return { write: true, suppressed };
  }

  /** How many buckets are held (for tests and metrics). */
  get size(): number {
    return this.buckets.size;
  }

  private bucket(name: string, now: number, create: boolean): BucketState | null {
    let state = this.buckets.get(name);
    if (state && now - state.windowStart >= this.windowMs) {
      state.windowStart = now;
      state.written = 0;
    }
    if (state || !create) return state ?? null;
    if (this.buckets.size >= this.maxBuckets) this.sweep(now);
    if (this.buckets.size >= this.maxBuckets) return null;
    state = { windowStart: now, written: 0, suppressed: 0 };
    this.buckets.set(name, state);
    return state;
  }

  /** Drops buckets whose window has ended (their unreported suppressed counts live on in the instance budget). */
  private sweep(now: number): void {
    for (const [name, state] of this.buckets) {
      if (now - state.windowStart >= this.windowMs) this.buckets.delete(name);
    }
  }
}
