import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, runCleanups, type Served, serve, warden, wardenJson, workDir } from './helpers/cli.js';

beforeAll(buildCli, 180_000);
afterEach(runCleanups);

const RULES = `rules:
  - name: health
    path: /health
    allow: true
  - name: orders
    path: /orders/**
    require:
      scopes: [orders.read]
`;

async function storeWithKey(cwd: string, scopes: string[]) {
  writeFileSync(join(cwd, 'warden.yaml'), RULES);
  const created = await wardenJson(
    ['keys', 'create', '--subject', 'svc', ...scopes.flatMap((scope) => ['--scope', scope]), '--json'],
    { cwd },
  );
  return created.key as string;
}

/** Resolves when `warden serve` has logged a line with this message (stderr, JSON lines). */
function logged(served: Served, message: string, after = 0): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${message}" in the log:\n${served.stderr()}`)), 10_000);
    const look = () => {
      const lines = served
        .stderr()
        .split('\n')
        .slice(after)
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      const found = lines.find((line) => line.msg === message);
      if (found === undefined) return;
      clearTimeout(timer);
      served.child.stderr!.off('data', look);
      resolve(found);
    };
    served.child.stderr!.on('data', look);
    look();
  });
}

const lineCount = (served: Served) => served.stderr().split('\n').length - 1;

describe('warden rules test', () => {
  it('prints the matched rule, the credential and the decision; exit 0 on allow, 1 on deny', async () => {
    const cwd = workDir();
    const key = await storeWithKey(cwd, ['orders.read']);
    const allowed = await wardenJson(
      [
        'rules',
        'test',
        '--method',
        'GET',
        '--url',
        'https://api.test/orders/7',
        '--header',
        `Authorization: Bearer ${key}`,
        '--json',
      ],
      { cwd },
    );
    expect(allowed).toMatchObject({
      request: { method: 'GET', host: 'api.test', path: '/orders/7' },
      rule: { name: 'orders', verdict: 'authenticate', requirements: { scopes: ['orders.read'] } },
      authentication: { ok: true, kind: 'api_key', subject: 'svc' },
      decision: { allow: true, status: 200 },
    });
    const traversal = await warden(
      ['rules', 'test', '--method', 'get', '--url', 'https://api.test/health/../orders/7'],
      { cwd },
    );
    expect(traversal.code).toBe(1);
    expect(traversal.stdout).toContain('rule            orders: authenticate');
    expect(traversal.stdout).toContain('decision        deny 401 missing_credentials');
    expect(traversal.stdout).not.toContain(key);
    const health = await warden(['rules', 'test', '--method', 'GET', '--url', 'http://api.test/health'], { cwd });
    expect(health.code).toBe(0);
    expect(health.stdout).toContain('decision        allow (anonymous)');
  });

  it('refuses a bad URL, method or header (exit 2) and a missing store (exit 2)', async () => {
    const cwd = workDir();
    await storeWithKey(cwd, []);
    for (const [args, message] of [
      [['--method', 'GET', '--url', '/relative'], '--url: must be an absolute http(s) URL'],
      [['--method', 'G T', '--url', 'https://a.test/'], '--method: must be a method name such as GET'],
      [['--method', 'GET', '--url', 'https://a.test/', '--header', 'no colon'], '--header: value 1 of 1'],
    ] as const) {
      const run = await warden(['rules', 'test', ...args], { cwd });
      expect(run.code, message).toBe(2);
      expect(run.stderr, message).toContain(message);
    }
    const elsewhere = await warden(['rules', 'test', '--method', 'GET', '--url', 'https://a.test/'], {
      cwd: workDir(),
    });
    expect(elsewhere.code).toBe(2);
    expect(elsewhere.stderr).toContain('no Warden store at');
  });
});

describe('reloading the rules of a running server', () => {
  it('applies a changed file and SIGHUP without a restart; an invalid file keeps the old rules', async () => {
    const cwd = workDir();
    const key = await storeWithKey(cwd, ['orders.read']);
    const served = await serve(cwd, ['--log-level', 'info']);
    const decide = async (path: string) =>
      (await fetch(`${served.baseUrl}/v1/decide${path}`, { headers: { authorization: `Bearer ${key}` } })).status;
    expect(await decide('/orders/1')).toBe(200);
    expect(await decide('/billing/1')).toBe(403);

    let mark = lineCount(served);
    const reloaded = logged(served, 'access rules reloaded', mark);
    writeFileSync(join(cwd, 'warden.yaml'), `${RULES}  - name: billing\n    path: /billing/**\n`);
    expect(await reloaded).toMatchObject({ reason: 'file changed', rules: 3 });
    expect(await decide('/billing/1')).toBe(200);

    mark = lineCount(served);
    const refused = logged(served, 'access rules not reloaded: the old rules stay', mark);
    // Two rules that overlap at one priority: refused as at startup.
    writeFileSync(join(cwd, 'warden.yaml'), `${RULES}  - name: all-orders\n    path: /orders/*\n`);
    expect((await refused).problem).toContain('rules orders and all-orders can match the same request');
    expect(await decide('/billing/1')).toBe(200);
    expect(await decide('/orders/1')).toBe(200);

    // The file fixed again, then SIGHUP: reloaded for that reason too.
    mark = lineCount(served);
    const fixed = logged(served, 'access rules reloaded', mark);
    writeFileSync(join(cwd, 'warden.yaml'), RULES);
    await fixed;
    mark = lineCount(served);
    const hangup = logged(served, 'access rules reloaded', mark);
    served.child.kill('SIGHUP');
    expect(await hangup).toMatchObject({ reason: 'SIGHUP', rules: 2 });
    expect(await decide('/billing/1')).toBe(403);
    expect(served.child.exitCode).toBe(null);
  });
});
