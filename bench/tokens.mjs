// The token half of `npm run bench`: decisions on Warden's JWT access tokens, and the client credentials grant,
// each against a baseline measured in the same run. Method and how to read the numbers: bench/README.md.
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, jwtVerify, SignJWT } from 'jose';
import { createWarden } from 'warden';
import {
  BENCH_DIR,
  cleanup,
  envNumber,
  fail,
  log,
  makeTempDir,
  measure,
  median,
  startReference,
  startWarden,
  stopAll,
  storeConfig,
  summarize,
} from './harness.mjs';
import { keyedRequestSets } from './load.mjs';

const SETTINGS = {
  seconds: envNumber('BENCH_SECONDS', 6),
  warmupSeconds: envNumber('BENCH_WARMUP_SECONDS', 3),
  rewarmSeconds: envNumber('BENCH_REWARM_SECONDS', 1),
  rounds: envNumber('BENCH_ROUNDS', 3),
  connections: envNumber('BENCH_CONNECTIONS', 64),
  freshTokens: envNumber('BENCH_FRESH_TOKENS', 2_000),
};
const DEADLINE_MS = 480_000;
const DECIDE_PATH = '/v1/decide';
const ISSUER = 'https://warden.bench';
const PEER_CLIENT = { id: 'bench-client', secret: 'bench-secret-not-a-secret-0123456789abcdef' };

const basic = (id, secret) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

/** Request lists for a token endpoint: every connection sends the same client credentials grant. */
function grantRequestSets(path, authorization, body) {
  const request = () => ({
    method: 'POST',
    path,
    headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
  return Array.from({ length: SETTINGS.connections }, () => [request()]);
}

async function tokenFrom(url, authorization, body) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
  const answer = await response.json();
  if (response.status !== 200 || typeof answer.access_token !== 'string') {
    fail(`${url} answered ${response.status} ${JSON.stringify(answer).slice(0, 200)}`);
  }
  return answer.access_token;
}

/**
 * In this process (the load generator's core, idle between loads): microseconds per jose verification of
 * Warden's tokens against its published key, and EdDSA JWT signatures per second with a key like Warden's. The
 * ceilings the server figures are compared with, measured in the same run as them.
 */
async function cryptoCeilings(tokens, jwks, seconds = 1.5) {
  const keys = createLocalJWKSet(jwks);
  const options = { issuer: ISSUER, audience: ISSUER, typ: 'at+jwt' };
  let verified = 0;
  let until = performance.now() + seconds * 1000;
  const verifyStart = performance.now();
  while (performance.now() < until) {
    await jwtVerify(tokens[verified % tokens.length], keys, options);
    verified++;
  }
  const verifyMicros = ((performance.now() - verifyStart) * 1000) / verified;

  const { privateKey } = generateKeyPairSync('ed25519');
  let signed = 0;
  until = performance.now() + seconds * 1000;
  const signStart = performance.now();
  while (performance.now() < until) {
    await new SignJWT({ sub: 'bench', client_id: 'bench', scope: 'orders.read', jti: String(signed) })
      .setProtectedHeader({ alg: 'EdDSA', kid: 'bench', typ: 'at+jwt' })
      .setIssuer(ISSUER)
      .setAudience(ISSUER)
      .setIssuedAt()
      .setExpirationTime('15m')
      .sign(privateKey);
    signed++;
  }
  const signaturesPerSecond = signed / ((performance.now() - signStart) / 1000);
  return { verifyMicros, signaturesPerSecond };
}

async function main() {
  const deadline = setTimeout(() => fail(`did not finish within ${DEADLINE_MS / 1000} s`), DEADLINE_MS);
  deadline.unref();
  const startedAt = Date.now();
  const tempDir = makeTempDir();
  const dataDir = join(tempDir, 'data');
  const config = join(tempDir, 'warden.yaml');
  writeFileSync(config, `issuer: ${ISSUER}\ntokens:\n  access_token_ttl: 1h\n`);
  // A second instance on the same store that verifies every token in full: the cost of a fresh token.
  const noCacheConfig = join(tempDir, 'no-cache.yaml');
  writeFileSync(noCacheConfig, `issuer: ${ISSUER}\ntokens:\n  access_token_ttl: 1h\n  cache:\n    max_entries: 0\n`);
  log(`settings ${JSON.stringify(SETTINGS)}; temp dir ${tempDir}`);

  const bare = await startReference('bare', 'bare-server.mjs');
  const warden = await startWarden('warden', dataDir, ['--config', config]);
  const engine = await createWarden({
    config: storeConfig(dataDir, { issuer: ISSUER }),
    background: false,
    migrate: false,
  });
  const client = await engine.clients.create({ name: 'bench', scopes: ['orders.read'] }, { actor: 'bench' });
  await engine.close();
  const clientAuth = basic(client.client_id, client.client_secret);
  const wardenTokenUrl = `http://127.0.0.1:${warden.port}/oauth2/token`;
  const grantBody = 'grant_type=client_credentials';

  const t = Date.now();
  const tokens = [];
  while (tokens.length < SETTINGS.freshTokens) {
    const batch = Math.min(32, SETTINGS.freshTokens - tokens.length);
    tokens.push(
      ...(await Promise.all(Array.from({ length: batch }, () => tokenFrom(wardenTokenUrl, clientAuth, grantBody)))),
    );
  }
  log(`got ${tokens.length} tokens from Warden's token endpoint in ${Date.now() - t} ms`);
  const jwks = await (await fetch(`http://127.0.0.1:${warden.port}/.well-known/jwks.json`)).json();

  const noCache = await startWarden('warden, token cache off', dataDir, ['--config', noCacheConfig]);
  const peer = await startReference('oidc-provider', 'oidc-provider-server.mjs', {
    BENCH_CLIENT_ID: PEER_CLIENT.id,
    BENCH_CLIENT_SECRET: PEER_CLIENT.secret,
  });
  const peerAuth = basic(PEER_CLIENT.id, PEER_CLIENT.secret);
  await tokenFrom(`http://127.0.0.1:${peer.port}/token`, peerAuth, grantBody);

  const sameToken = keyedRequestSets([tokens[0]], SETTINGS.connections, DECIDE_PATH);
  const targets = [
    { ...bare, requestSets: sameToken },
    { ...warden, name: 'warden, same token', requestSets: sameToken },
    {
      ...noCache,
      name: 'warden, fresh token',
      requestSets: keyedRequestSets(tokens, SETTINGS.connections, DECIDE_PATH),
    },
    {
      ...warden,
      name: 'warden, client credentials grant',
      path: '/oauth2/token',
      requestSets: grantRequestSets('/oauth2/token', clientAuth, grantBody),
    },
    {
      ...peer,
      name: 'oidc-provider, client credentials grant',
      path: '/token',
      requestSets: grantRequestSets('/token', peerAuth, grantBody),
    },
  ];
  for (const target of targets.slice(1, 3)) {
    const response = await fetch(`http://127.0.0.1:${target.port}${DECIDE_PATH}`, {
      headers: { authorization: `Bearer ${tokens[1]}` },
    });
    if (response.status !== 200 || response.headers.get('x-auth-credential') !== 'jwt') {
      fail(`${target.name}: a valid token got ${response.status} ${(await response.text()).slice(0, 200)}`);
    }
    await response.arrayBuffer();
  }

  const ceilings = [];
  const rounds = await measure(targets, null, 'tokens', {
    ...SETTINGS,
    afterRound: async () => ceilings.push(await cryptoCeilings(tokens, jwks)),
  });
  await stopAll();
  report(
    Object.fromEntries(Object.entries(rounds).map(([name, r]) => [name, summarize(r)])),
    {
      verifyMicros: median(ceilings.map((c) => c.verifyMicros)),
      signaturesPerSecond: median(ceilings.map((c) => c.signaturesPerSecond)),
    },
    Date.now() - startedAt,
  );
  cleanup();
}

const LABELS = {
  bare: 'bare node:http, 200 (same requests as below)',
  'warden, same token': 'warden: GET /v1/decide, the same JWT every request',
  'warden, fresh token': `warden: GET /v1/decide, ${SETTINGS.freshTokens} JWTs cycling, token cache off (every one verified)`,
  'warden, client credentials grant': 'warden: POST /oauth2/token, client_credentials, client_secret_basic',
  'oidc-provider, client credentials grant': 'oidc-provider: POST /token, the same grant, EdDSA JWT access token',
};

function report(targets, ceiling, elapsedMs) {
  const fmt = (n, digits = 2) => (n === null || Number.isNaN(n) ? 'n/a' : n.toFixed(digits));
  const bare = targets.bare;
  const lines = [
    '',
    `Warden tokens, ${SETTINGS.connections} connections, pipelining 1, median of ${SETTINGS.rounds} rounds of ${SETTINGS.seconds} s (Node ${process.version}, ${cpus().length} CPUs)`,
    '',
    '| target | requests/s | p50 ms | p99 ms | server CPU µs/request | requests/s vs bare |',
    '|---|---:|---:|---:|---:|---:|',
  ];
  for (const [name, s] of Object.entries(targets)) {
    lines.push(
      `| ${LABELS[name]} | ${Math.round(s.rps).toLocaleString('en-US')} | ${fmt(s.p50)} | ${fmt(s.p99)} | ${fmt(s.cpuMicrosPerRequest, 0)} | ${fmt(s.rps / bare.rps)} |`,
    );
  }
  const cpu = (name) => targets[name].cpuMicrosPerRequest;
  // A server that did nothing but answer like bare and verify one signature: the fresh-token ceiling.
  const freshCeilingCpu = bare.cpuMicrosPerRequest === null ? null : bare.cpuMicrosPerRequest + ceiling.verifyMicros;
  const freshVsCeiling = freshCeilingCpu === null ? null : freshCeilingCpu / cpu('warden, fresh token');
  const grants = targets['warden, client credentials grant'].rps;
  const peerGrants = targets['oidc-provider, client credentials grant'].rps;
  lines.push(
    '',
    `decide, same JWT / bare (requests/s): ${fmt(targets['warden, same token'].rps / bare.rps)} (goal >= 0.85)`,
    `decide, fresh JWT: ${fmt(cpu('warden, fresh token'), 0)} µs of server CPU per request against a ceiling of ${fmt(freshCeilingCpu, 0)} µs (bare ${fmt(bare.cpuMicrosPerRequest, 0)} µs + one jose verification ${fmt(ceiling.verifyMicros, 1)} µs, measured in this run): ${fmt(freshVsCeiling)} of the ceiling (goal >= 0.90)`,
    `client credentials grants/s: ${Math.round(grants).toLocaleString('en-US')}, ${fmt(grants / ceiling.signaturesPerSecond)} of EdDSA JWT signatures/s on one core (${Math.round(ceiling.signaturesPerSecond).toLocaleString('en-US')}, goal >= 0.5); ${fmt(grants / peerGrants)}x oidc-provider's (${Math.round(peerGrants).toLocaleString('en-US')}/s, goal > 1)`,
    `bench took ${Math.round(elapsedMs / 1000)} s`,
    '',
  );
  process.stdout.write(lines.join('\n'));
  const resultsDir = join(BENCH_DIR, 'results');
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(
    join(resultsDir, 'tokens-latest.json'),
    `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: cpus().length, settings: SETTINGS, ceiling, freshVsCeiling, targets }, null, 2)}\n`,
  );
  log(`wrote ${join(resultsDir, 'tokens-latest.json')}`);
}

for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => fail(`interrupted by ${signal}`));
main().catch((error) => fail(error?.stack ?? String(error)));
