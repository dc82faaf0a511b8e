import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  bootstrapKeysIn,
  buildCli,
  KEY_PATTERN,
  runCleanups,
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

  it('an invalid configuration stops serve with exit 2', async () => {
    const cwd = workDir();
    writeFileSync(join(cwd, 'warden.yaml'), 'server:\n  prot: 80\n');
    const run = await warden(['serve'], { cwd });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('server.prot: unknown key (did you mean "port"?)');
  });
});
