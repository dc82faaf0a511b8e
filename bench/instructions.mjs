// `npm run bench:instructions`: the instructions each server executes per request, counted by valgrind's
// callgrind. Unlike seconds, an instruction count does not move when the machine is busy: the same build,
// inputs and load give the same count within a fraction of a percent, so Warden's own work per decision
// (Warden minus the bare server sending the same answer) can be read off a shared, noisy machine.
// Method and how to read it: bench/README.md, "Instructions per request".
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createWarden } from 'warden';
import {
  allowAnswerOf,
  BENCH_DIR,
  cleanup,
  envNumber,
  fail,
  log,
  makeTempDir,
  median,
  runServersUnder,
  SLOW_PERIODIC_WORK,
  startReference,
  startWarden,
  stopAll,
  stopChild,
  storeConfig,
} from './harness.mjs';
import { keyedRequestSets, runLoad } from './load.mjs';
import { createRealKeys, withWrongSecrets } from './store.mjs';

const SETTINGS = {
  // Requests before counting: under valgrind V8 needs tens of thousands to reach its optimized code.
  warmupRequests: envNumber('BENCH_CG_WARMUP', 80_000),
  // Long enough that the rare expensive events (a major GC) are amortized as they are at full speed.
  requests: envNumber('BENCH_CG_REQUESTS', 20_000),
  repeats: envNumber('BENCH_CG_REPEATS', 3),
  // Few connections: under valgrind a server answers about a thousand requests per second.
  connections: envNumber('BENCH_CG_CONNECTIONS', 8),
  idleSeconds: envNumber('BENCH_CG_IDLE_SECONDS', 5),
  realKeys: envNumber('BENCH_REAL_KEYS', 500),
};
const DECIDE_PATH = '/v1/decide';
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Instructions the process has executed so far, all threads (V8's GC helpers too), from callgrind_control. */
function instructionsOf(pid) {
  const out = execFileSync('callgrind_control', ['-e', 'Ir', String(pid)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let total = 0;
  for (const match of out.matchAll(/^\s*Th\s*\d+\s+([\d,]+)\s*$/gm)) total += Number(match[1].replaceAll(',', ''));
  if (total === 0) throw new Error(`no instruction count in callgrind_control's answer: ${out}`);
  return total;
}

/**
 * One target under callgrind: warm up, then `repeats` counted runs of `requests`. Each counted run is
 * preceded by an idle window of the same server: what it executes per second with no requests (timers such
 * as Warden's change poller, V8's idle tasks) would be charged to far fewer requests under valgrind than at
 * full speed, so it is subtracted at that rate for the run's duration.
 */
async function countTarget(target) {
  const server = await target.start();
  const pid = server.child.pid;
  try {
    const drive = async (amount) => {
      const result = await runLoad({
        url: `http://127.0.0.1:${server.port}${DECIDE_PATH}`,
        amount,
        connections: SETTINGS.connections,
        requestSets: target.requestSets,
        expectStatus: target.expectStatus ?? 200,
      });
      if (result.errors > 0 || result.unexpected > 0) {
        fail(`${target.name}: ${result.unexpected} unexpected answers and ${result.errors} errors`);
      }
      return result;
    };
    log(`${target.name}: warm-up, ${SETTINGS.warmupRequests} requests`);
    await drive(SETTINGS.warmupRequests);
    const runs = [];
    for (let i = 0; i < SETTINGS.repeats; i++) {
      const idleStart = instructionsOf(pid);
      const idleStartedAt = performance.now();
      await sleep(SETTINGS.idleSeconds * 1000);
      const idlePerSecond = (instructionsOf(pid) - idleStart) / ((performance.now() - idleStartedAt) / 1000);
      const before = instructionsOf(pid);
      const startedAt = performance.now();
      const result = await drive(SETTINGS.requests);
      const seconds = (performance.now() - startedAt) / 1000;
      const executed = instructionsOf(pid) - before;
      const perRequest = (executed - idlePerSecond * seconds) / result.ok;
      runs.push({ perRequest, raw: executed / result.ok, idlePerSecond, seconds, requests: result.ok });
      log(
        `${target.name} run ${i + 1}: ${Math.round(perRequest)} instructions/request (raw ${Math.round(executed / result.ok)}, idle ${Math.round(idlePerSecond)}/s over ${seconds.toFixed(1)} s)`,
      );
    }
    return { perRequest: median(runs.map((r) => r.perRequest)), runs };
  } finally {
    await stopChild(server.child);
  }
}

async function main() {
  try {
    execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
  } catch {
    fail('valgrind is not installed (Debian: apt-get install valgrind)');
  }
  const startedAt = Date.now();
  const tempDir = makeTempDir();
  const dataDir = join(tempDir, 'data');
  // The store is made at full speed: the first start migrates it, the engine creates the keys.
  const setup = await startWarden('warden (setup)', dataDir);
  const keys = await createRealKeys(createWarden, storeConfig(dataDir), SETTINGS.realKeys);
  const answer = await allowAnswerOf(setup, keys[0]);
  if (answer.status !== 200) fail(`setup: a real key got ${answer.status}`);
  await stopChild(setup.child);

  // Warden's periodic work slowed down, so it does not dominate the count; the rest of it is subtracted (idle
  // rate). JSON is YAML.
  const quietConfig = join(tempDir, 'quiet.yaml');
  writeFileSync(quietConfig, JSON.stringify(SLOW_PERIODIC_WORK));
  const quiet = ['--config', quietConfig];
  const allowSets = keyedRequestSets(keys, SETTINGS.connections, DECIDE_PATH);
  const targets = [
    { id: 'bare', name: 'bare', start: () => startReference('bare', 'bare-server.mjs'), requestSets: allowSets },
    {
      id: 'same-answer',
      name: 'bare, same answer',
      start: () => startReference('bare, same answer', 'bare-server.mjs', { BENCH_ANSWER: JSON.stringify(answer) }),
      requestSets: allowSets,
    },
    { id: 'allow', name: 'warden', start: () => startWarden('warden', dataDir, quiet), requestSets: allowSets },
    {
      id: 'wrong-secret',
      name: 'warden, deny: wrong secret',
      start: () => startWarden('warden, deny: wrong secret', dataDir, quiet),
      requestSets: keyedRequestSets(await withWrongSecrets(keys), SETTINGS.connections, DECIDE_PATH),
      expectStatus: 401,
    },
    {
      id: 'no-credential',
      name: 'warden, deny: no credential',
      start: () => startWarden('warden, deny: no credential', dataDir, quiet),
      requestSets: keyedRequestSets([null], SETTINGS.connections, DECIDE_PATH),
      expectStatus: 401,
    },
  ];
  const only = process.env.BENCH_CG_TARGETS?.split(',').map((id) => id.trim());
  const chosen = only ? targets.filter((t) => only.includes(t.id)) : targets;
  if (chosen.length === 0) fail(`BENCH_CG_TARGETS matches none of: ${targets.map((t) => t.id).join(', ')}`);

  // --smc-check: V8 writes and rewrites machine code on the heap; valgrind must see every change.
  runServersUnder(
    [
      'valgrind',
      '--tool=callgrind',
      '--smc-check=all-non-file',
      `--callgrind-out-file=${tempDir}/callgrind.%p`,
      `--log-file=${tempDir}/valgrind.%p.log`,
    ],
    180_000,
  );
  const results = {};
  // One target at a time: a count does not depend on what else runs, so there is nothing to interleave.
  for (const target of chosen) results[target.name] = await countTarget(target);
  await stopAll();
  report(results, Date.now() - startedAt);
  cleanup();
}

function report(results, elapsedMs) {
  const of = (name) => results[name]?.perRequest ?? null;
  const thousands = (n) => (n === null ? 'n/a' : `${(n / 1000).toFixed(1)}k`);
  const lines = [
    '',
    `Instructions per request (callgrind, all threads, user space), median of ${SETTINGS.repeats} runs of ${SETTINGS.requests} requests after ${SETTINGS.warmupRequests} (Node ${process.version})`,
    '',
    '| target | instructions/request | vs bare | above the same-answer server | runs | idle instructions/s |',
    '|---|---:|---:|---:|---|---:|',
  ];
  for (const [name, r] of Object.entries(results)) {
    const vsBare = of('bare') ? (r.perRequest / of('bare')).toFixed(2) : 'n/a';
    const above = of('bare, same answer') === null ? 'n/a' : thousands(r.perRequest - of('bare, same answer'));
    const runs = r.runs.map((run) => thousands(run.perRequest)).join(', ');
    const idle = Math.round(median(r.runs.map((run) => run.idlePerSecond))).toLocaleString('en-US');
    lines.push(`| ${name} | ${thousands(r.perRequest)} | ${vsBare} | ${above} | ${runs} | ${idle} |`);
  }
  lines.push('', `took ${Math.round(elapsedMs / 1000)} s`, '');
  process.stdout.write(lines.join('\n'));
  const resultsDir = join(BENCH_DIR, 'results');
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, 'instructions-latest.json');
  writeFileSync(
    file,
    `${JSON.stringify({ date: new Date().toISOString(), node: process.version, settings: SETTINGS, results }, null, 2)}\n`,
  );
  log(`wrote ${file}`);
}

for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => fail(`interrupted by ${signal}`));
main().catch((error) => fail(error?.stack ?? String(error)));
