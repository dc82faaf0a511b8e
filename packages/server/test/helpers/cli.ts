import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { tempDir } from './databases.js';

/**
 * The real `warden` command line, spawned as users run it: built output, a temporary working directory (so the
 * default `.warden/` data directory lands there) and an environment with no WARDEN_* variable from the parent.
 */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
export const CLI = join(REPO_ROOT, 'packages/server/dist/cli/main.js');

/** A plaintext API key as the CLI and `warden serve` print it: prefix, id, secret. */
export const KEY_PATTERN = /^wdn_[0-9A-Za-z]+_[0-9A-Za-z]+$/;

/** Builds dist/ (for `beforeAll`): `tsc -b` only rebuilds what changed; the lock keeps suites from racing. */
export function buildCli(): void {
  const tsc = join(REPO_ROOT, 'node_modules/typescript/bin/tsc');
  execFileSync('flock', ['/tmp/warden-build.lock', process.execPath, tsc, '-b', 'packages/sdk', 'packages/server'], {
    cwd: REPO_ROOT,
    stdio: 'pipe',
  });
}

export type Env = Record<string, string>;

export function cleanEnv(extra: Env = {}): Env {
  const env: Env = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined || name.startsWith('WARDEN_') || name === 'NODE_OPTIONS') continue;
    env[name] = value;
  }
  return { ...env, ...extra };
}

const cleanups: (() => void | Promise<void>)[] = [];
/** Runs what tests registered, newest first (for `afterEach`). */
export async function runCleanups(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
}
export function onCleanup(cleanup: () => void | Promise<void>): void {
  cleanups.push(cleanup);
}

/** A fresh working directory for one test. */
export function workDir(): string {
  const dir = tempDir('warden-cli');
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function warden(args: string[], options: { cwd: string; env?: Env }): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd, env: cleanEnv(options.env) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
  });
}

/** Runs a `--json` command and parses its output; fails with the output when the exit code is not the expected one. */
export async function wardenJson(args: string[], options: { cwd: string; env?: Env }, expectedCode = 0) {
  const run = await warden([...args, '--json'], options);
  expect(run.code, `warden ${args.join(' ')}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`).toBe(expectedCode);
  // biome-ignore lint/suspicious/noExplicitAny: parsed CLI output; the assertions check its shape
  return JSON.parse(run.stdout) as Record<string, any>;
}

// `warden serve`, started and stopped as users do

export interface Served {
  baseUrl: string;
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePromise(port));
    });
  });
}

/** Starts `warden serve` on a free port and waits until /healthz answers; stopped after the test. */
export async function serve(cwd: string, args: string[] = [], env: Env = {}): Promise<Served> {
  const port = await freePort();
  // Detached: its own process group, so workers forked by --workers are stopped with it.
  const child = spawn(process.execPath, [CLI, 'serve', '--port', String(port), '--log-level', 'warn', ...args], {
    cwd,
    env: cleanEnv(env),
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr!.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<void>((resolvePromise) => child.once('exit', () => resolvePromise()));
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      return;
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {}
    }, 5000);
    await exited;
    clearTimeout(timer);
  };
  cleanups.push(stop);

  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`serve exited with ${child.exitCode}\n${stdout}\n${stderr}`);
    try {
      const response = await fetch(`${baseUrl}/healthz`);
      if (response.ok) break;
    } catch {}
    if (Date.now() > deadline) throw new Error(`serve did not answer /healthz within 20 s\n${stdout}\n${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { baseUrl, child, stdout: () => stdout, stderr: () => stderr, stop };
}

/** The bootstrap admin keys `warden serve` announced on stdout. */
export function bootstrapKeysIn(stdout: string): string[] {
  return [...stdout.matchAll(/^ {2}(wdn_\S+)$/gm)].map((m) => m[1]!);
}
