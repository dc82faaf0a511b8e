import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SCOPE_TOKEN_RULE } from '../src/identity/names.js';
import { buildCli, runCleanups, serve, warden, wardenJson, workDir } from './helpers/cli.js';
import { clientBasic } from './helpers/requests.js';

beforeAll(buildCli, 180_000);
afterEach(runCleanups);

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const basic = clientBasic;

/** A working directory whose store holds one client, made by `clients create`. */
async function storeWithClient(args: string[] = ['--name', 'orders']) {
  const cwd = workDir();
  const created = await wardenJson(['clients', 'create', ...args], { cwd });
  return { cwd, created };
}

describe('warden clients', () => {
  it('create prints the secret once; list and show never hold it', async () => {
    const { cwd, created } = await storeWithClient([
      '--name',
      'orders service',
      '--scope',
      'orders.read',
      '--scope',
      'orders.write',
      '--grant-type',
      'client_credentials',
      '--grant-type',
      'refresh_token',
      '--audience',
      'orders',
      '--tenant',
      'acme',
      '--role',
      'svc',
      '--admin',
      '--introspect',
      '--token-ttl',
      '30m',
      '--auth-method',
      'client_secret_post',
    ]);
    expect(created.client_id).toMatch(/^[0-9A-Za-z]{16}$/);
    expect(created.client_secret).toMatch(/^[0-9A-Za-z]{43}$/);
    expect(created.client).toMatchObject({
      id: created.client_id,
      name: 'orders service',
      status: 'active',
      authMethod: 'client_secret_post',
      grantTypes: ['client_credentials', 'refresh_token'],
      scopes: ['orders.read', 'orders.write'],
      audiences: ['orders'],
      tenant: 'acme',
      roles: ['svc'],
      admin: true,
      introspect: true,
      tokenTtlSeconds: 1800,
      createdBy: 'cli',
    });
    expect(created.database).toBe(`sqlite:${join(cwd, '.warden', 'warden.db')}`);

    const listed = await warden(['clients', 'list'], { cwd });
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^ID\s+STATUS\s+NAME\s+AUTH METHOD\s+SCOPES\n/);
    expect(listed.stdout).toContain(`${created.client_id}  active  orders service  client_secret_post  orders.read`);
    const listedJson = await wardenJson(['clients', 'list'], { cwd });
    expect(listedJson.items).toEqual([created.client]);
    expect(listedJson.next).toBeNull();
    const shown = await warden(['clients', 'show', created.client_id], { cwd });
    expect(shown.stdout).toContain('auth method      client_secret_post');
    expect(shown.stdout).toContain('introspect       true');
    for (const text of [listed.stdout, listed.stderr, JSON.stringify(listedJson), shown.stdout, shown.stderr]) {
      expect(text).not.toContain(created.client_secret);
      expect(text).not.toMatch(/salt|hash/i);
    }
  });

  it('text mode prints the secret with the warning to store it', async () => {
    const cwd = workDir();
    const run = await warden(['clients', 'create', '--name', 'billing'], { cwd });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^client secret {4}[0-9A-Za-z]{43}\nclient id {8}[0-9A-Za-z]{16}\nname {13}billing\n/);
    expect(run.stdout).toContain('Store the client secret now: it is not shown again.');
    expect(run.stderr).toMatch(/^note: created a new Warden store at sqlite:/);
  });

  it('rotate-secret, disable, enable, delete; a repeated change is exit 1, an unknown id exit 1', async () => {
    const { cwd, created } = await storeWithClient();
    const id = created.client_id as string;
    const rotated = await wardenJson(['clients', 'rotate-secret', id, '--overlap', '1h'], { cwd });
    expect(rotated.client_id).toBe(id);
    expect(rotated.client_secret).not.toBe(created.client_secret);
    expect(Date.parse(rotated.client.previousSecretExpiresAt) - Date.now()).toBeGreaterThan(59 * 60_000);
    const text = await warden(['clients', 'rotate-secret', id], { cwd });
    expect(text.stdout).toContain('The old secret no longer works.');

    expect((await wardenJson(['clients', 'disable', id], { cwd })).status).toBe('disabled');
    const again = await warden(['clients', 'disable', id], { cwd });
    expect(again).toMatchObject({ code: 1, stderr: `error: client ${id} is already disabled\n` });
    expect((await warden(['clients', 'enable', id], { cwd })).stdout).toBe(`enabled ${id}\n`);
    expect((await warden(['clients', 'delete', id], { cwd })).stdout).toBe(`deleted ${id} (orders)\n`);
    const gone = await wardenJson(['clients', 'show', id], { cwd }, 1);
    expect(gone).toMatchObject({ error: 'not_found', message: `no client with id "${id}"` });
  });

  it('refuses bad flags before opening any store (exit 2), naming the flag, never the value', async () => {
    const cwd = workDir();
    const cases: [string[], string][] = [
      [['--name', 'x', '--scope', 'ok', '--scope', 'not ok'], `--scope: value 2 of 2 ${SCOPE_TOKEN_RULE}`],
      [['--name', 'x', '--grant-type', 'password'], '--grant-type'],
      [['--name', 'x', '--token-ttl', 'soon'], '--token-ttl: must be a duration of at least 1s'],
      [['--name', 'x', '--token-ttl', '2d'], '--token-ttl: must be at most 1d (signing_keys.retain_after_retire)'],
      [
        ['--name', 'x', '--auth-method', 'none'],
        '--auth-method: must be one of client_secret_basic, client_secret_post, private_key_jwt\n',
      ],
      [['--scope', 'a'], 'error: --name: is required\n'],
    ];
    for (const [args, message] of cases) {
      const run = await warden(['clients', 'create', ...args], { cwd });
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toContain(message);
      expect(run.stderr).not.toContain('not ok');
    }
    const overlap = await warden(['clients', 'rotate-secret', 'AAAAAAAAAAAAAAAA', '--overlap', 'later'], { cwd });
    expect(overlap).toMatchObject({ code: 2 });
    expect(overlap.stderr).toContain('--overlap: must be a positive duration');
    // Nothing was created by any of them, and the commands on a client refuse a missing store.
    const list = await warden(['clients', 'list'], { cwd });
    expect(list.code).toBe(2);
    expect(list.stderr).toContain('no Warden store at');
  });

  it('a client made by the CLI gets tokens from `warden serve`; the CLI disabling it is seen at once', async () => {
    const { cwd, created } = await storeWithClient(['--name', 'orders', '--scope', 'orders.read']);
    const served = await serve(cwd);
    const tokenUrl = `${served.baseUrl}/oauth2/token`;
    const request = (secret: string) =>
      fetch(tokenUrl, {
        method: 'POST',
        headers: { ...FORM, authorization: basic(created.client_id, secret) },
        body: 'grant_type=client_credentials',
      });

    // The SDK's credential manager, as `warden token get` runs it.
    await writeFile(
      join(cwd, 'credentials.yaml'),
      [
        'credentials:',
        '  orders:',
        '    type: oauth2_client_credentials',
        `    token_url: ${tokenUrl}`,
        `    client_id: ${created.client_id}`,
        '    client_secret: ${ORDERS_SECRET}',
        '    scopes: [orders.read]',
      ].join('\n'),
    );
    const got = await warden(['token', 'get', 'orders', '--json'], {
      cwd,
      env: { ORDERS_SECRET: created.client_secret },
    });
    expect(got.code, got.stderr).toBe(0);
    const { token } = JSON.parse(got.stdout) as { token: string };
    const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(`${served.baseUrl}/.well-known/jwks.json`)), {
      issuer: 'http://127.0.0.1:8080', // the default issuer: this server was not told its address
      audience: 'http://127.0.0.1:8080',
      typ: 'at+jwt',
    });
    expect(payload).toMatchObject({ sub: created.client_id, client_id: created.client_id, scope: 'orders.read' });

    await wardenJson(['clients', 'disable', created.client_id], { cwd });
    const refused = await request(created.client_secret);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({ error: 'invalid_client', error_description: 'The client is disabled.' });
    await wardenJson(['clients', 'enable', created.client_id], { cwd });
    const rotated = await wardenJson(['clients', 'rotate-secret', created.client_id, '--overlap', '1h'], { cwd });
    expect((await request(created.client_secret)).status).toBe(200);
    expect((await request(rotated.client_secret)).status).toBe(200);
    expect(served.stdout() + served.stderr()).not.toContain(created.client_secret);
  });
});
