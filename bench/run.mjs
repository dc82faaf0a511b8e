// `npm run bench`: Warden's decision endpoint against a bare node:http server, on loopback, in one run.
// Method and how to read the numbers: bench/README.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createWarden } from 'warden';
import {
  allowAnswerOf,
  BENCH_DIR,
  cleanup,
  envNumber,
  fail,
  log,
  makeTempDir,
  measure,
  ROOT,
  startReference,
  startWarden,
  stopAll,
  stopChild,
  storeConfig,
  summarize,
} from './harness.mjs';
import { keyedRequestSets } from './load.mjs';
import { createRealKeys, insertFillerKeys, withWrongSecrets } from './store.mjs';

const env = envNumber;
const SETTINGS = {
  seconds: env('BENCH_SECONDS', 6),
  warmupSeconds: env('BENCH_WARMUP_SECONDS', 3),
  rewarmSeconds: env('BENCH_REWARM_SECONDS', 1),
  rounds: env('BENCH_ROUNDS', 3),
  connections: env('BENCH_CONNECTIONS', 64),
  realKeys: env('BENCH_REAL_KEYS', 500),
  smallStore: 1_000,
  largeStore: env('BENCH_LARGE_STORE', 1_000_000),
};
const DEADLINE_MS = 720_000;
const DECIDE_PATH = '/v1/decide';

/** Before measuring: bare answers 200; warden allows a real key and denies a wrong one with 401. */
async function verify(target, keys, unknownKey) {
  const url = `http://127.0.0.1:${target.port}${DECIDE_PATH}`;
  if ((target.expectStatus ?? 200) !== 200) return; // a denial target on a server verified as itself
  if (!target.name.startsWith('warden')) {
    const response = await fetch(url);
    if (response.status !== 200) fail(`${target.name} answered ${response.status}`);
    await response.arrayBuffer();
    return;
  }
  for (const key of [keys[0], keys[keys.length - 1]]) {
    const response = await fetch(url, { headers: { authorization: `Bearer ${key}` } });
    const body = await response.text();
    if (response.status !== 200 || !response.headers.get('x-auth-subject')?.startsWith('bench-svc-')) {
      fail(`${target.name}: a valid key got ${response.status} ${body.slice(0, 200)}`);
    }
  }
  for (const [what, key] of [
    ['an unknown key', unknownKey],
    ['a malformed key', 'wdn_not_a_key'],
  ]) {
    const response = await fetch(url, { headers: { authorization: `Bearer ${key}` } });
    await response.arrayBuffer();
    if (response.status !== 401) fail(`${target.name}: ${what} got ${response.status}, expected 401`);
  }
}

/** A new client certificate for `bench-org`, its key pinned in the store; the X-Client-Cert value nginx would send. */
async function pinnedCertificateHeader(engineConfig) {
  const { generateCertificate } = await import(pathToFileURL(join(ROOT, 'packages/server/dist/mtls/generate.js')).href);
  const certificate = await generateCertificate({ organization: 'bench-org', notAfterDays: 1 });
  const engine = await createWarden({ config: engineConfig, background: false });
  try {
    await engine.pins.pin({ subject: 'bench-org', publicKey: certificate.publicKeyPem }, { actor: 'bench' });
  } finally {
    await engine.close();
  }
  return encodeURIComponent(certificate.certificatePem);
}

/** The mTLS target allows the pinned certificate as its Organization, and denies a certificate it does not know. */
async function verifyMtls(target, header) {
  const url = `http://127.0.0.1:${target.port}${DECIDE_PATH}`;
  const response = await fetch(url, { headers: { 'x-client-cert': header } });
  await response.arrayBuffer();
  if (response.status !== 200 || response.headers.get('x-auth-credential') !== 'mtls') {
    fail(`${target.name}: the pinned certificate got ${response.status}`);
  }
  const garbage = await fetch(url, { headers: { 'x-client-cert': 'not%20a%20certificate' } });
  await garbage.arrayBuffer();
  if (garbage.status !== 401) fail(`${target.name}: a malformed certificate got ${garbage.status}, expected 401`);
}

async function main() {
  const deadline = setTimeout(() => fail(`did not finish within ${DEADLINE_MS / 1000} s`), DEADLINE_MS);
  deadline.unref();
  const startedAt = Date.now();
  const tempDir = makeTempDir();
  const dataDir = join(tempDir, 'data');
  const dbPath = join(dataDir, 'warden.db');
  // A second instance on the same store with the key cache off: every decision reads its key from SQLite,
  // which is what shows whether the store size matters.
  const noCacheConfig = join(tempDir, 'no-cache.yaml');
  writeFileSync(noCacheConfig, 'api_keys:\n  cache:\n    max_entries: 0\n');
  // Access rules: 19 that do not match the bench's requests, then the one that does (the lowest priority, so
  // every other is tried first).
  const rulesConfig = join(tempDir, 'rules.yaml');
  writeFileSync(
    rulesConfig,
    `rules:\n${Array.from({ length: 19 }, (_, i) => `  - name: svc-${i}\n    path: /svc-${i}/**\n    methods: [GET, POST]\n    require: { scopes: [svc-${i}.read] }\n`).join('')}  - name: everything-else\n    path: /**\n    priority: -1\n    require: { scopes: [orders.read] }\n`,
  );

  log(`settings ${JSON.stringify(SETTINGS)}; temp dir ${tempDir}`);
  const bare = await startReference('bare', 'bare-server.mjs');
  const fastify = await startReference('fastify', 'fastify-server.mjs');
  // The first start migrates the store (and creates the bootstrap admin key).
  let warden = await startWarden('warden', dataDir);

  const engineConfig = storeConfig(dataDir);
  let t = Date.now();
  const keys = await createRealKeys(createWarden, engineConfig, SETTINGS.realKeys);
  log(`created ${keys.length} real keys through the engine in ${Date.now() - t} ms`);
  // A well-formed key (valid checksum) whose id is in no store: must be 401 invalid_credentials.
  const { generateApiKey } = await import(
    pathToFileURL(join(ROOT, 'packages/server/dist/issue/api-key-format.js')).href
  );
  const unknownKey = generateApiKey('wdn').key;

  t = Date.now();
  let total = insertFillerKeys(dbPath, SETTINGS.smallStore - keys.length - 1);
  log(`store holds ${total} keys (filler inserted in ${Date.now() - t} ms)`);
  let noCache = await startWarden('warden, key cache off', dataDir, ['--config', noCacheConfig]);

  // The bare server again, now sending Warden's own allow answer byte for byte (headers and JSON body).
  const sameAnswer = await startReference('bare, same answer', 'bare-server.mjs', {
    BENCH_ANSWER: JSON.stringify(await allowAnswerOf(warden, keys[0])),
  });
  // Warden denying: requests that carry the real key ids with a wrong secret (each one proven in full:
  // checksum, lookup, HMAC, and a failure audit within its budgets), and requests with no credential at all.
  // A Warden process of its own, so what denials leave behind (garbage, audit writes) is not charged to the
  // allow rounds of the other.
  const denying = await startWarden('warden (denials)', dataDir);
  const wrongSecretSets = keyedRequestSets(await withWrongSecrets(keys), SETTINGS.connections, DECIDE_PATH);
  const denials = (server) => [
    {
      ...server,
      name: 'warden, deny: wrong secret',
      expectStatus: 401,
      requestSets: wrongSecretSets,
    },
    {
      ...server,
      name: 'warden, deny: no credential',
      expectStatus: 401,
      requestSets: keyedRequestSets([null], SETTINGS.connections, DECIDE_PATH),
    },
  ];

  const rules = { ...(await startWarden('warden, 20 rules', dataDir, ['--config', rulesConfig])) };
  // mTLS pinning, header form: one client certificate (repeated, as one service behind a proxy sends it), its
  // public key pinned for its Organization in the store, passed by the "proxy" (this loopback peer is trusted) as
  // nginx's URL-escaped X-Client-Cert. The parsed certificate is cached by a digest of the header, the pin per
  // Organization (mtls.pins.cache_ttl): a decision reads neither X.509 nor the store.
  const mtlsHeader = await pinnedCertificateHeader(engineConfig);
  const mtlsConfig = join(tempDir, 'mtls.yaml');
  writeFileSync(mtlsConfig, 'mtls:\n  proxy_headers: [x-client-cert]\n');
  const mtls = {
    ...(await startWarden('warden, mTLS pin', dataDir, ['--config', mtlsConfig])),
    requestSets: Array.from({ length: SETTINGS.connections }, () => [
      { method: 'GET', path: DECIDE_PATH, headers: { 'x-client-cert': mtlsHeader } },
    ]),
  };
  await verifyMtls(mtls, mtlsHeader);
  const requestSets = keyedRequestSets(keys, SETTINGS.connections, DECIDE_PATH);
  const phases = [];
  const runPhase = async (name, storeSize, targets) => {
    for (const target of targets) await verify(target, keys, unknownKey);
    const results = await measure(targets, requestSets, name, SETTINGS);
    phases.push({
      name,
      keysInStore: storeSize,
      targets: Object.fromEntries(Object.entries(results).map(([target, rounds]) => [target, summarize(rounds)])),
    });
  };

  // The headline comparison in rounds of its own: the three references and Warden's allow, nothing else. With
  // all eight targets in one phase each server idles for a minute between its turns, and Warden's allow has
  // measured 29-32 µs there against 17-19 µs in a phase of three (bench/README.md).
  await runPhase('headline', total, [bare, sameAnswer, fastify, warden]);
  await stopChild(fastify.child);
  // The variants, each against bare, the same-answer server and Warden's plain allow of the same rounds.
  await runPhase('variants', total, [bare, sameAnswer, warden, rules, mtls, ...denials(denying), noCache]);
  await stopChild(rules.child);
  await stopChild(mtls.child);
  await stopChild(sameAnswer.child);
  await stopChild(denying.child);

  // The large store: stop the servers, fill, start them again with cold caches.
  await stopChild(warden.child);
  await stopChild(noCache.child);
  t = Date.now();
  total = insertFillerKeys(dbPath, SETTINGS.largeStore - total);
  log(`store holds ${total} keys (filler inserted in ${Date.now() - t} ms)`);
  warden = await startWarden('warden', dataDir);
  noCache = await startWarden('warden, key cache off', dataDir, ['--config', noCacheConfig]);
  await runPhase('large store', total, [bare, warden, noCache]);

  await stopAll();
  report(phases, Date.now() - startedAt);
  cleanup();
}

const REFERENCE_LABELS = {
  bare: 'bare node:http, 200',
  'bare, same answer': "bare node:http sending Warden's allow answer",
  fastify: 'Fastify, fixed 200 (reference)',
  'warden, deny: wrong secret': 'warden: GET /v1/decide, real key id, wrong secret (401)',
  'warden, deny: no credential': 'warden: GET /v1/decide, no credential (401)',
  'warden, 20 rules': 'warden: GET /v1/decide, valid API key, 20 access rules (the match is the last tried)',
  'warden, mTLS pin': 'warden: GET /v1/decide, pinned client certificate in X-Client-Cert (repeated)',
};

function report(phases, elapsedMs) {
  const [headline, variants, large] = phases;
  const fmt = (n, digits = 2) => n.toFixed(digits);
  const rps = (phase, name) => phase.targets[name].rps;
  const cpuOf = (phase, name) => phase.targets[name]?.cpuMicrosPerRequest ?? null;
  const above = (phase, name, base) =>
    cpuOf(phase, name) === null || cpuOf(phase, base) === null
      ? 'n/a'
      : `${fmt(cpuOf(phase, name) - cpuOf(phase, base), 1)} µs`;
  const ratio = rps(headline, 'warden') / rps(headline, 'bare');
  const sameAnswerRatio = rps(headline, 'warden') / rps(headline, 'bare, same answer');
  const cpuRatio =
    cpuOf(headline, 'bare') && cpuOf(headline, 'warden') ? cpuOf(headline, 'warden') / cpuOf(headline, 'bare') : null;
  const lines = [
    '',
    `Warden decide vs bare node:http, ${SETTINGS.connections} connections, pipelining 1, median of ${SETTINGS.rounds} rounds of ${SETTINGS.seconds} s (Node ${process.version}, ${cpus().length} CPUs)`,
    '',
    '| phase | target | keys in store | requests/s | p50 ms | p99 ms | server CPU µs/request | requests/s vs bare |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const phase of phases) {
    for (const [name, s] of Object.entries(phase.targets)) {
      const label = REFERENCE_LABELS[name] ?? `${name}: GET /v1/decide, valid API key`;
      const cpu = s.cpuMicrosPerRequest === null ? 'n/a' : fmt(s.cpuMicrosPerRequest, 0);
      lines.push(
        `| ${phase.name} | ${label} | ${phase.keysInStore.toLocaleString('en-US')} | ${Math.round(s.rps).toLocaleString('en-US')} | ${fmt(s.p50)} | ${fmt(s.p99)} | ${cpu} | ${fmt(s.rps / rps(phase, 'bare'))} |`,
      );
    }
  }
  const p99Change = (small, name) => large.targets[name].p99 / small.targets[name].p99 - 1;
  lines.push(
    '',
    `headline: server CPU per request above bare sending the same answer: allow ${above(headline, 'warden', 'bare, same answer')} (goal <= 5 µs)`,
    `headline: decide / bare (requests/s): ${fmt(ratio)} (goal >= 0.90); decide / bare sending the same answer: ${fmt(sameAnswerRatio)}; bare sending the same answer / bare: ${fmt(rps(headline, 'bare, same answer') / rps(headline, 'bare'))}`,
    `headline: server CPU per request, decide / bare: ${cpuRatio === null ? 'n/a' : fmt(cpuRatio, 1)}x`,
    `variants: above the same-answer server: allow ${above(variants, 'warden', 'bare, same answer')}, deny with a wrong secret ${above(variants, 'warden, deny: wrong secret', 'bare, same answer')}, deny with no credential ${above(variants, 'warden, deny: no credential', 'bare, same answer')}`,
    `variants: decide with 20 rules / bare (requests/s): ${fmt(rps(variants, 'warden, 20 rules') / rps(variants, 'bare'))} (goal >= 0.85); server CPU per request above decide without rules: ${above(variants, 'warden, 20 rules', 'warden')}`,
    `variants: decide with an mTLS pin (X-Client-Cert, repeated certificate) / bare (requests/s): ${fmt(rps(variants, 'warden, mTLS pin') / rps(variants, 'bare'))} (goal >= 0.85); server CPU per request above decide with an API key: ${above(variants, 'warden, mTLS pin', 'warden')}`,
    `decide p99: ${fmt(headline.targets.warden.p99)} ms with ${headline.keysInStore.toLocaleString('en-US')} keys, ${fmt(large.targets.warden.p99)} ms with ${large.keysInStore.toLocaleString('en-US')} keys: ${fmt(p99Change(headline, 'warden') * 100, 1)}% (goal within 10%)`,
    `decide p99, key cache off: ${fmt(variants.targets['warden, key cache off'].p99)} ms vs ${fmt(large.targets['warden, key cache off'].p99)} ms: ${fmt(p99Change(variants, 'warden, key cache off') * 100, 1)}%`,
    `load: ${SETTINGS.realKeys} real keys (created through the engine), each connection cycling through all of them from its own offset; bench took ${Math.round(elapsedMs / 1000)} s`,
    '',
  );
  process.stdout.write(lines.join('\n'));

  const resultsDir = join(BENCH_DIR, 'results');
  mkdirSync(resultsDir, { recursive: true });
  const latest = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? null,
    settings: SETTINGS,
    ratio,
    sameAnswerRatio,
    rulesRatio: rps(variants, 'warden, 20 rules') / rps(variants, 'bare'),
    mtlsRatio: rps(variants, 'warden, mTLS pin') / rps(variants, 'bare'),
    cpuRatio,
    p99ChangeLargeVsSmall: p99Change(headline, 'warden'),
    p99ChangeLargeVsSmallCacheOff: p99Change(variants, 'warden, key cache off'),
    phases,
    elapsedSeconds: Math.round(elapsedMs / 1000),
  };
  writeFileSync(join(resultsDir, 'latest.json'), `${JSON.stringify(latest, null, 2)}\n`);
  log(`wrote ${join(resultsDir, 'latest.json')}`);
}

for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => fail(`interrupted by ${signal}`));
main().catch((error) => fail(error?.stack ?? String(error)));
