// The parts of the benchmark harness every bench script shares: child processes pinned to their own CPU,
// server CPU per request from /proc, warm-up and interleaved rounds, medians. Method: bench/README.md.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runLoad } from './load.mjs';

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
export const ROOT = join(BENCH_DIR, '..');
export const CLI = join(ROOT, 'packages/server/dist/cli/main.js');

// Fixed, public test values (43 chars, like `openssl rand -base64 32`): the harness opens the same store
// in-process with them. Never use them anywhere else.
export const PEPPER = 'benchPepperNotASecretDoNotUse0123456789abcd';
export const MASTER_KEY = 'benchMasterKeyNotASecretDoNotUse0123456789a';

/** A number from the environment, or the default. */
export const envNumber = (name, fallback) => Number(process.env[name] ?? fallback);

const children = new Set();
let tempDir = null;

/** A temp directory for this run's stores and configs, removed by `cleanup`. */
export function makeTempDir() {
  tempDir = mkdtempSync(join(tmpdir(), 'warden-bench-'));
  return tempDir;
}

export function log(message) {
  process.stderr.write(`[bench] ${message}\n`);
}

export function cleanup() {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children.clear();
  if (tempDir) rmSync(tempDir, { recursive: true, force: true });
  tempDir = null;
}

export function fail(message) {
  log(`FAILED: ${message}`);
  cleanup();
  process.exit(1);
}

export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** The engine configuration of a bench store in `dataDir`: SQLite, the fixed test secrets, `extra` sections. */
export function storeConfig(dataDir, extra = {}) {
  return {
    data_dir: dataDir,
    database: { url: `sqlite:${join(dataDir, 'warden.db')}` },
    secrets: { pepper: PEPPER, master_key: MASTER_KEY },
    log: { level: 'warn' },
    ...extra,
  };
}

/**
 * Warden's periodic work (the key change poller, the last-used write-behind, the token revocation poller, at its
 * 1 s maximum) slowed down, for instruction counts: that work is per second, not per request, and under valgrind a
 * second carries a few hundred requests instead of tens of thousands.
 */
export const SLOW_PERIODIC_WORK = Object.freeze({
  api_keys: { invalidation: { poll_interval: '10m' }, last_used: { flush_interval: '10m' } },
  tokens: { revocation: { poll_interval: '1s' } },
});

/** The environment of the warden child: no WARDEN_* from the caller's shell, only ours. */
export function wardenEnv() {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('WARDEN_')));
  return { ...clean, WARDEN_LOG_LEVEL: 'warn', WARDEN_PEPPER: PEPPER, WARDEN_MASTER_KEY: MASTER_KEY };
}

/**
 * Servers run on CPU 1 and this process (the load generator) on CPU 0, where the machine has two CPUs and
 * `taskset`: the two then never compete for one core, and server CPU per request is the server's alone.
 * BENCH_PIN=0 turns it off. Decided (and this process pinned) when the first server starts, not on import, so a
 * script may use the harness's constants without being pinned.
 */
let pin = null;
function pinned() {
  if (pin !== null) return pin;
  pin = false;
  if (process.env.BENCH_PIN !== '0' && cpus().length >= 2) {
    try {
      execFileSync('taskset', ['-cp', '0', String(process.pid)], { stdio: 'ignore' });
      pin = true;
    } catch {
      // no taskset: unpinned
    }
  }
  return pin;
}
let serverWrapper = [];
let startTimeoutMs = 20_000;

/**
 * Runs every server started from now on under `wrapper` (a command and its arguments put before `node`, such
 * as valgrind), allowing `timeoutMs` for a server to start answering. instructions.mjs uses it.
 */
export function runServersUnder(wrapper, timeoutMs) {
  serverWrapper = wrapper;
  startTimeoutMs = timeoutMs;
}

/** The command and arguments that run `command` as a server: on CPU 1, under the wrapper if one is set. */
function serverCommand(command, args) {
  const full = [...serverWrapper, command, ...args];
  return pinned() ? ['taskset', ['-c', '1', ...full]] : [full[0], full.slice(1)];
}

/**
 * A reference server (bare-server.mjs, fastify-server.mjs): a node child with an IPC channel, reporting its
 * port over it. `env` adds variables (BENCH_ANSWER for the same-answer server).
 */
export function startReference(name, file, env = {}) {
  const [command, args] = serverCommand(process.execPath, [join(BENCH_DIR, file)]);
  const child = spawn(command, args, {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: { ...process.env, ...env },
  });
  children.add(child);
  return new Promise((resolve, reject) => {
    child.once('message', ({ port }) => resolve({ name, child, port }));
    child.once('exit', (code) => reject(new Error(`${name} server exited with ${code}`)));
  });
}

// USER_HZ: 100 on every mainstream Linux build.
const CLOCK_TICKS = 100;

/**
 * CPU time (user + system, microseconds) a child has used so far, from /proc: CPU per request is far less
 * sensitive to a shared, noisy machine than requests per second. null where /proc is missing (not Linux).
 */
export function cpuMicros(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1e6) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

export async function startWarden(name, dataDir, extraArgs = []) {
  const port = await freePort();
  const args = [CLI, 'serve', '--data-dir', dataDir, '--host', '127.0.0.1', '--port', String(port), ...extraArgs];
  // cwd is the temp dir, so no warden.yaml of the repository is picked up.
  const [command, commandArgs] = serverCommand(
    process.execPath,
    [...(process.env.BENCH_NODE_ARGS?.split(' ') ?? []), ...args].filter(Boolean),
  );
  const child = spawn(command, commandArgs, {
    cwd: tempDir,
    env: wardenEnv(),
    // stdout carries the bootstrap admin key on first start: discard it, never print it.
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.add(child);
  const target = { name, child, port };
  const until = Date.now() + startTimeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode} during start`);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (response.ok) return target;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${name} did not answer /healthz within ${startTimeoutMs / 1000} s`);
}

/** Warden's allow answer for `key`: status, headers (less the per-connection ones) and body, as sent. */
export async function allowAnswerOf(target, key, path = '/v1/decide') {
  const response = await fetch(`http://127.0.0.1:${target.port}${path}`, {
    headers: { authorization: `Bearer ${key}` },
  });
  const body = await response.text();
  const headers = {};
  for (const [name, value] of response.headers) {
    if (!['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding'].includes(name)) {
      headers[name] = value;
    }
  }
  return { status: response.status, headers, body };
}

/** Stops every child still running (SIGTERM, then SIGKILL after 5 s). */
export async function stopAll() {
  for (const child of [...children]) await stopChild(child);
}

export async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
  children.delete(child);
}

/**
 * Warm-up, then `rounds` rounds over all targets; the order rotates each round so no target always runs
 * right after the same neighbour, and each measured turn follows `rewarmSeconds` (if set) of unmeasured load.
 * A target drives `target.path` (default /v1/decide) with its own `requestSets` when it has them. Returns the
 * per-round results for each target.
 */
export async function measure(targets, requestSets, label, settings) {
  const results = Object.fromEntries(targets.map((t) => [t.name, []]));
  const drive = async (target, seconds) => {
    const cpuBefore = cpuMicros(target.child.pid);
    const result = await runLoad({
      url: `http://127.0.0.1:${target.port}${target.path ?? '/v1/decide'}`,
      seconds,
      connections: settings.connections,
      requestSets: target.requestSets ?? requestSets,
      expectStatus: target.expectStatus ?? 200,
    });
    const cpuAfter = cpuMicros(target.child.pid);
    result.cpuPerRequest = cpuBefore === null || cpuAfter === null ? null : (cpuAfter - cpuBefore) / result.ok;
    return result;
  };
  for (const target of targets) {
    log(`${label}: warm-up ${target.name}`);
    await drive(target, settings.warmupSeconds);
  }
  for (let round = 0; round < settings.rounds; round++) {
    const order = targets.map((_, i) => targets[(i + round) % targets.length]);
    for (const target of order) {
      // Unmeasured: a server idle since its last turn (V8 shrinks an idle heap) serves again first, as an
      // auth service behind a busy proxy always is.
      if (settings.rewarmSeconds) await drive(target, settings.rewarmSeconds);
      const result = await drive(target, settings.seconds);
      if (result.errors > 0 || result.unexpected > 0) {
        fail(`${label} ${target.name}: ${result.unexpected} unexpected answers and ${result.errors} errors under load`);
      }
      log(
        `${label} round ${round + 1} ${target.name}: ${Math.round(result.rps)} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms, server CPU ${result.cpuPerRequest?.toFixed(1)} us/request`,
      );
      results[target.name].push(result);
    }
    // Work measured between loads (in-process ceilings), interleaved with the rounds like everything else.
    await settings.afterRound?.();
  }
  return results;
}

export function summarize(rounds) {
  const cpu = rounds.map((r) => r.cpuPerRequest);
  return {
    rps: median(rounds.map((r) => r.rps)),
    p50: median(rounds.map((r) => r.p50)),
    p99: median(rounds.map((r) => r.p99)),
    cpuMicrosPerRequest: cpu.includes(null) ? null : median(cpu),
    rounds: rounds.map(({ rps, p50, p99, ok, seconds, cpuPerRequest }) => ({
      rps: Math.round(rps),
      p50,
      p99,
      cpuMicrosPerRequest: cpuPerRequest === null ? null : Number(cpuPerRequest.toFixed(1)),
      ok,
      seconds,
    })),
  };
}
