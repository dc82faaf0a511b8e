// One load run with autocannon, the same way for every target: in this process, pipelining 1, a fixed set of
// prebuilt requests per connection. Latency is recorded here at 10 us resolution (autocannon's own
// histogram works in whole milliseconds, too coarse to compare sub-millisecond p99s).
import autocannon from 'autocannon';

const BUCKET_US = 10;
const MAX_US = 2_000_000;

class LatencyHistogram {
  counts = new Uint32Array(MAX_US / BUCKET_US + 1);
  total = 0;

  record(ms) {
    const bucket = Math.min(this.counts.length - 1, Math.floor((ms * 1000) / BUCKET_US));
    this.counts[bucket]++;
    this.total++;
  }

  /** The latency in ms below which `q` (0..1) of the samples fall (upper edge of the bucket). */
  quantile(q) {
    if (this.total === 0) return Number.NaN;
    const rank = Math.ceil(q * this.total);
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i];
      if (seen >= rank) return ((i + 1) * BUCKET_US) / 1000;
    }
    return MAX_US / 1000;
  }
}

/**
 * Drives `url` for `seconds` (or for `amount` answers in all, when given) with `connections` connections.
 * `requestSets[i]` is the request list of connection i (modulo its length); each connection cycles through its
 * own list. `expectStatus` is the status every answer must have (a denial target expects 401); any other answer
 * counts as `unexpected`.
 */
export function runLoad({ url, seconds, amount, connections, requestSets, expectStatus = 200 }) {
  const latencies = new LatencyHistogram();
  let ok = 0;
  let unexpected = 0;
  let client = 0;
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const instance = autocannon(
      {
        url,
        connections,
        pipelining: 1,
        ...(amount ? { amount } : { duration: seconds }),
        timeout: 10,
        setupClient: (c) => c.setRequests(requestSets[client++ % requestSets.length]),
      },
      (error, result) => {
        if (error) return reject(error);
        const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
        resolve({
          rps: ok / Math.max(result.duration || elapsed, 0.001),
          p50: latencies.quantile(0.5),
          p99: latencies.quantile(0.99),
          ok,
          unexpected,
          errors: result.errors,
          seconds: result.duration || elapsed,
        });
      },
    );
    instance.on('response', (_client, status, _bytes, ms) => {
      if (status === expectStatus) {
        ok++;
        latencies.record(ms);
      } else {
        unexpected++;
      }
    });
  });
}

/**
 * The request lists for `connections` connections cycling over `keys`: connection i starts at a different
 * offset so at any moment the connections present different keys, and over a run every key is used.
 */
export function keyedRequestSets(keys, connections, path) {
  const requests = keys.map((key) =>
    key === null
      ? { method: 'GET', path, headers: {} }
      : { method: 'GET', path, headers: { authorization: `Bearer ${key}` } },
  );
  const sets = [];
  for (let c = 0; c < connections; c++) {
    const offset = Math.floor((c * keys.length) / connections);
    // Fresh objects per connection: autocannon stores the built buffer on each request object.
    sets.push(
      [...requests.slice(offset), ...requests.slice(0, offset)].map((r) => ({ ...r, headers: { ...r.headers } })),
    );
  }
  return sets;
}
