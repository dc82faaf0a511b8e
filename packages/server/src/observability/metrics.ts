import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Prometheus metrics of one engine; exposed at /metrics. */
export class Metrics {
  readonly registry = new Registry();
  readonly decisions: Counter<'outcome' | 'credential' | 'code'>;
  readonly decisionSeconds: Histogram<'outcome'>;
  readonly storageFaults: Counter<'operation'>;
  readonly auditSuppressed: Counter;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    this.decisions = new Counter({
      name: 'warden_decisions_total',
      help: 'Decisions by outcome (allow/deny), credential kind and error code',
      labelNames: ['outcome', 'credential', 'code'],
      registers: [this.registry],
    });
    this.decisionSeconds = new Histogram({
      name: 'warden_decision_duration_seconds',
      help: 'Time to reach a decision, from credential extraction to the answer',
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

  // prom-client hashes the label object on every call; decisions bind each label combination once instead.
  private readonly decisionCounters = new Map<string, { inc(): void }>();
  private readonly decisionTimers = new Map<string, { observe(value: number): void }>();

  /** Counts one decision and its duration. Called for every decision, so it avoids per-call label hashing. */
  recordDecision(outcome: 'allow' | 'deny', credential: string, code: string, seconds: number): void {
    const key = `${outcome}|${credential}|${code}`;
    let counter = this.decisionCounters.get(key);
    if (!counter) {
      counter = this.decisions.labels(outcome, credential, code);
      this.decisionCounters.set(key, counter);
    }
    counter.inc();
    let timer = this.decisionTimers.get(outcome);
    if (!timer) {
      timer = this.decisionSeconds.labels(outcome);
      this.decisionTimers.set(outcome, timer);
    }
    timer.observe(seconds);
  }
}
