import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Prometheus metrics of one engine; exposed at /metrics. */
export class Metrics {
  readonly registry = new Registry();
  readonly decisions: Counter<'outcome' | 'credential' | 'code'>;
  readonly decisionSeconds: Histogram<'outcome'>;
  readonly storageFaults: Counter<'operation'>;
  readonly auditSuppressed: Counter;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const counts = { allow: this.allowsByCredential, deny: this.denialsByCode };
    this.decisions = new Counter({
      name: 'warden_decisions_total',
      help: 'Decisions by outcome (allow/deny), credential kind and error code',
      labelNames: ['outcome', 'credential', 'code'],
      registers: [this.registry],
      // Decisions are counted in plain integers (no label lookup per request) and turned into samples here.
      collect() {
        this.reset();
        for (const [credential, count] of counts.allow) this.inc({ outcome: 'allow', credential, code: 'ok' }, count);
        for (const [code, count] of counts.deny) this.inc({ outcome: 'deny', credential: 'none', code }, count);
      },
    });
    this.decisionSeconds = new Histogram({
      name: 'warden_decision_duration_seconds',
      help: 'Time to reach a decision, from credential extraction to the answer (1 decision in 16 is timed)',
      labelNames: ['outcome'],
      buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1],
      registers: [this.registry],
    });
    this.storageFaults = new Counter({
      name: 'warden_storage_faults_total',
      help: 'Storage operations that failed (the decision failed closed with 503)',
      labelNames: ['operation'],
      registers: [this.registry],
    });
    this.auditSuppressed = new Counter({
      name: 'warden_audit_failures_suppressed_total',
      help: 'Failed verifications counted but not written to the audit log (over a per-credential, peer or instance budget)',
      registers: [this.registry],
    });
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'warden_' });
  }

  /** Exports the API key cache's sizes, read at scrape time (nothing is counted on the hot path). */
  observeApiKeyCache(sizes: () => { known: number; unknown: number; verified: number }): void {
    new Gauge({
      name: 'warden_api_key_cache_entries',
      help: 'API key cache entries: known keys (records), unknown ids (remembered for negative_ttl), verified key digests',
      labelNames: ['kind'],
      registers: [this.registry],
      collect() {
        const { known, unknown, verified } = sizes();
        this.set({ kind: 'known' }, known);
        this.set({ kind: 'unknown' }, unknown);
        this.set({ kind: 'verified' }, verified);
      },
    });
  }

  private readonly allowsByCredential = new Map<string, number>();
  private readonly denialsByCode = new Map<string, number>();
  private readonly durationByOutcome = new Map<string, { observe(value: number): void }>();
  private decisionsSeen = 0;

  /**
   * Whether to time this decision. Reading the clock twice per request costs more than the rest of a cached
   * decision's bookkeeping, and one in 16 keeps the histogram representative.
   */
  timeThisDecision(): boolean {
    return (++this.decisionsSeen & 15) === 0;
  }

  /** Counts one decision: a map update, no label hashing. Exported at scrape time. */
  countDecision(allowed: boolean, credentialOrCode: string): void {
    const counts = allowed ? this.allowsByCredential : this.denialsByCode;
    counts.set(credentialOrCode, (counts.get(credentialOrCode) ?? 0) + 1);
  }

  /** Records the duration of a timed decision. */
  observeDecisionSeconds(allowed: boolean, seconds: number): void {
    const outcome = allowed ? 'allow' : 'deny';
    let timer = this.durationByOutcome.get(outcome);
    if (!timer) {
      timer = this.decisionSeconds.labels(outcome);
      this.durationByOutcome.set(outcome, timer);
    }
    timer.observe(seconds);
  }
}
