import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  bootstrapKeysIn,
  buildCli,
  cleanEnv,
  freePort,
  KEY_PATTERN,
  onCleanup,
  REPO_ROOT,
  runCleanups,
  type Served,
  serve,
  warden,
  wardenJson,
  workDir,
} from './helpers/cli.js';

beforeAll(buildCli, 180_000);
afterEach(runCleanups);

async function decide(baseUrl: string, key: string): Promise<Response> {
  return fetch(`${baseUrl}/v1/decide`, { headers: { authorization: `Bearer ${key}` } });
}

/** Sends `signal` to a running `warden serve` (`times` over, as Ctrl-C under npm delivers it) and awaits its end. */
async function stopWith(served: Served, signal: NodeJS.Signals, times = 1) {
  // 'close', not 'exit': by then everything it wrote has been read.
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    served.child.once('close', (code, signalCode) => resolve({ code, signal: signalCode })),
  );
  for (let i = 0; i < times; i++) served.child.kill(signal);
  return closed;
}

/** The `msg` of each JSON log line `warden serve` wrote on stderr. */
function logMessages(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => (JSON.parse(line) as { msg: string }).msg);
}

/**
 * `npm start` at the repository root, as the README's first command runs it (its own process group, as a shell
 * gives a foreground job), with a port and data directory of the test's; resolves once the server has logged that
 * it listens. The environment has no npm_* variables of an enclosing `npm test`.
 */
async function npmStart(dataDir: string) {
  const port = await freePort();
  const env = Object.fromEntries(Object.entries(cleanEnv()).filter(([name]) => !name.toLowerCase().startsWith('npm_')));
  const child = spawn('npm', ['start', '--', '--port', String(port), '--data-dir', dataDir, '--log-level', 'info'], {
    cwd: REPO_ROOT,
    env,
    detached: true,
  });
  // Whatever the test's outcome, nothing of the group outlives it.
  onCleanup(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {}
  });
  let stderr = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // 'close' comes once every process holding npm's output has ended too.
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      if (logMessages(stderr.slice(0, stderr.lastIndexOf('\n') + 1)).includes('Warden listening')) resolve();
    });
    child.once('exit', () => reject(new Error(`npm start exited before listening\n${stderr}`)));
  });
  return { child, exited, closed, baseUrl: `http://127.0.0.1:${port}`, stderr: () => stderr };
}

/** Whether any process of the group `pid` leads is still running. */
function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('serve', () => {
  it('prints a bootstrap admin key once, on the first start only; the key works on /v1/decide', async () => {
    const cwd = workDir();
    const first = await serve(cwd);
    // The announcement is written before the server listens.
    const keys = bootstrapKeysIn(first.stdout());
    expect(keys).toHaveLength(1);
    const key = keys[0]!;
    expect(key).toMatch(KEY_PATTERN);
    expect(first.stdout()).toContain('Warden created a bootstrap admin API key. It is shown this once; store it now.');
    expect(first.stdout()).toContain(`curl -i -H "Authorization: Bearer ${key}" ${first.baseUrl}/v1/decide`);

    const allowed = await decide(first.baseUrl, key);
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('x-auth-subject')).toBe('admin');
    expect(allowed.headers.get('x-auth-admin')).toBe('true');
    expect(allowed.headers.get('x-auth-credential')).toBe('api_key');
    expect(allowed.headers.get('x-auth-key-id')).toBe(key.split('_')[1]);
    // The same key is an admin on the admin API.
    const listed = await fetch(`${first.baseUrl}/v1/admin/keys`, { headers: { authorization: `Bearer ${key}` } });
    expect(listed.status).toBe(200);
    const denied = await decide(first.baseUrl, `${key}x`);
    expect(denied.status).toBe(401);
    expect(((await denied.json()) as { error: string }).error).toBe('malformed_credentials');
    await first.stop();
    expect(first.stderr()).not.toContain(key);

    const second = await serve(cwd);
    expect(bootstrapKeysIn(second.stdout())).toEqual([]);
    expect(second.stdout()).not.toContain('bootstrap');
    expect((await decide(second.baseUrl, key)).status).toBe(200);
  });

  it('--api-key single-key mode: the key is an admin on /v1/admin/keys and no bootstrap key is printed', async () => {
    const cwd = workDir();
    const single = 'single-key-mode-secret-0123456789';
    const served = await serve(cwd, ['--api-key', single]);
    expect(bootstrapKeysIn(served.stdout())).toEqual([]);
    expect(served.stdout()).not.toContain('bootstrap');

    const auth = { authorization: `Bearer ${single}` };
    const created = await fetch(`${served.baseUrl}/v1/admin/keys`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ subject: 'orders-svc', scopes: ['orders.read'] }),
    });
    expect(created.status).toBe(201);
    const issued = (await created.json()) as { key: string; record: { id: string } };
    const listed = await fetch(`${served.baseUrl}/v1/admin/keys`, { headers: auth });
    expect(listed.status).toBe(200);
    const body = (await listed.json()) as { items: { id: string }[] };
    expect(body.items.map((k) => k.id)).toEqual([issued.record.id]);

    const decided = await decide(served.baseUrl, single);
    expect(decided.status).toBe(200);
    expect(decided.headers.get('x-auth-admin')).toBe('true');
    expect(decided.headers.get('x-auth-subject')).toBe('admin');

    const wrong = await fetch(`${served.baseUrl}/v1/admin/keys`, {
      headers: { authorization: 'Bearer single-key-mode-secret-0123456780' },
    });
    expect(wrong.status).toBe(401);
    // A non-admin key gets no admin access.
    const nonAdmin = await fetch(`${served.baseUrl}/v1/admin/keys`, {
      headers: { authorization: `Bearer ${issued.key}` },
    });
    expect(nonAdmin.status).toBe(403);
    for (const output of [served.stdout(), served.stderr()]) expect(output).not.toContain(single);
  });

  it('a revocation made with the CLI reaches the running server within 1 s', async () => {
    const cwd = workDir();
    const served = await serve(cwd);
    const created = await wardenJson(['keys', 'create', '--subject', 'svc'], { cwd });
    // Warm the server's cache with the key.
    expect((await decide(served.baseUrl, created.key)).status).toBe(200);
    expect((await decide(served.baseUrl, created.key)).status).toBe(200);

    await wardenJson(['keys', 'revoke', created.record.id], { cwd });
    const revokedAt = Date.now();
    let status = 0;
    let code = '';
    let elapsed = 0;
    while (Date.now() - revokedAt < 1500) {
      const response = await decide(served.baseUrl, created.key);
      status = response.status;
      code = ((await response.json()) as { error?: string }).error ?? '';
      elapsed = Date.now() - revokedAt;
      if (status === 401) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(status).toBe(401);
    expect(code).toBe('revoked');
    expect(elapsed).toBeLessThanOrEqual(1000);
  });

  it('--workers 2 answers with the bootstrap key and stops cleanly', async () => {
    const cwd = workDir();
    const served = await serve(cwd, ['--workers', '2']);
    const [key] = bootstrapKeysIn(served.stdout());
    expect(key).toMatch(KEY_PATTERN);
    for (let i = 0; i < 10; i++) expect((await decide(served.baseUrl, key!)).status).toBe(200);
    expect((await decide(served.baseUrl, 'wdn_nope')).status).toBe(401);
    await served.stop();
    expect(served.child.exitCode ?? served.child.signalCode).not.toBeNull();
  });

  it.each([
    ['SIGINT', 2],
    ['SIGTERM', 1],
  ] as const)('%s stops the server with one line saying so, exit 0', async (signal, times) => {
    const cwd = workDir();
    const served = await serve(cwd, ['--log-level', 'info']);
    const stopped = await stopWith(served, signal, times);
    expect(stopped).toEqual({ code: 0, signal: null });
    const messages = logMessages(served.stderr());
    expect(messages.filter((msg) => /stop/i.test(msg))).toEqual([`received ${signal}, stopping`]);
    expect(messages.at(-1)).toBe(`received ${signal}, stopping`);
    await expect(fetch(`${served.baseUrl}/healthz`)).rejects.toThrow();
  });

  it.each([
    ['Ctrl-C (SIGINT to the whole foreground group)', 'SIGINT', 'group'],
    ['SIGTERM to npm alone (a process manager, kill PID)', 'SIGTERM', 'npm'],
  ] as const)('npm start: %s stops the server, with one line saying so', async (_how, signal, target) => {
    const started = await npmStart(join(workDir(), 'data'));
    expect((await fetch(`${started.baseUrl}/healthz`)).status).toBe(200);
    process.kill(target === 'group' ? -started.child.pid! : started.child.pid!, signal);
    await started.exited;
    // npm leaves once its script has: nothing of it is left, and the port is closed.
    expect(groupAlive(started.child.pid!), 'a process of npm start outlived it').toBe(false);
    await expect(fetch(`${started.baseUrl}/healthz`)).rejects.toThrow();
    await started.closed;
    const messages = logMessages(started.stderr());
    expect(messages.filter((msg) => /stop/i.test(msg))).toEqual([`received ${signal}, stopping`]);
  });

  it('single-key mode does not warn about plaintext keys in a file; a weak key warns, never printing it', async () => {
    const weak = 'weak-single-key-01234';
    const served = await serve(workDir(), ['--api-key', weak]);
    expect((await decide(served.baseUrl, weak)).status).toBe(200);
    await stopWith(served, 'SIGTERM');
    expect(logMessages(served.stderr())).toEqual([
      '--api-key: weak static API key (shorter than 32 characters); use a long random one, e.g. from openssl rand -base64 32',
    ]);
    expect(served.stderr() + served.stdout()).not.toContain(weak);

    // A strong key from the environment: nothing to say.
    const strong = 'q7Vb2kXr9pLm4sTz8wNc1yHd6fGj3aRe5uKo0iWE';
    const quiet = await serve(workDir(), [], { WARDEN_API_KEY: strong });
    expect((await decide(quiet.baseUrl, strong)).status).toBe(200);
    await stopWith(quiet, 'SIGTERM');
    expect(logMessages(quiet.stderr())).toEqual([]);
  });

  it('an unknown WARDEN_* variable is logged as a warning with a did-you-mean', async () => {
    const served = await serve(workDir(), [], { WARDEN_LOGLEVEL: 'debug' });
    await stopWith(served, 'SIGTERM');
    expect(logMessages(served.stderr())).toEqual([
      'WARDEN_LOGLEVEL: unknown environment variable, ignored (did you mean WARDEN_LOG_LEVEL?)',
    ]);
  });

  it('a flag out of range is named in the message (--port: must be ...), exit 2', async () => {
    const run = await warden(['serve', '--port', '99999'], { cwd: workDir() });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('error: invalid configuration:\n  - --port: must be at most 65535\n');
  });

  it('an invalid configuration stops serve with exit 2', async () => {
    const cwd = workDir();
    writeFileSync(join(cwd, 'warden.yaml'), 'server:\n  prot: 80\n');
    const run = await warden(['serve'], { cwd });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('server.prot: unknown key (did you mean "port"?)');
  });
});
