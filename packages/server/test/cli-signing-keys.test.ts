import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRemoteJWKSet, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from 'jose';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createWarden } from '../src/engine.js';
import { createLogger } from '../src/observability/logger.js';
import {
  bootstrapKeysIn,
  buildCli,
  onCleanup,
  runCleanups,
  serve,
  warden,
  wardenJson,
  workDir,
} from './helpers/cli.js';

beforeAll(buildCli, 180_000);
afterEach(runCleanups);

const ISSUER = 'https://auth.example.com';
/** Short, so a rotation made by the CLI reaches the running server quickly; the bound the test holds it to. */
const REFRESH_MS = 200;

/** A working directory with a config file, and a store made by `warden keys create`. */
async function store() {
  const cwd = workDir();
  writeFileSync(
    join(cwd, 'warden.yaml'),
    `issuer: ${ISSUER}/\nsigning_keys:\n  refresh_interval: ${REFRESH_MS}ms\n  algorithm: ES256\n`,
  );
  await wardenJson(['keys', 'create', '--subject', 'svc'], { cwd });
  return { cwd, database: `sqlite:${join(cwd, '.warden', 'warden.db')}` };
}

async function jwksOf(baseUrl: string): Promise<JSONWebKeySet> {
  const response = await fetch(`${baseUrl}/.well-known/jwks.json`);
  expect(response.status).toBe(200);
  return (await response.json()) as JSONWebKeySet;
}

/** Checks `condition` until it holds, for at most `boundMs`: how long the documented bound allows. */
async function within(boundMs: number, condition: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > boundMs) throw new Error(`not within ${boundMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return Date.now() - started;
}

describe('signing-keys', () => {
  it('list and rotate work on an existing store only', async () => {
    const cwd = workDir();
    for (const command of ['list', 'rotate']) {
      const run = await warden(['signing-keys', command], { cwd });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`error: no Warden store at sqlite:${join(cwd, '.warden', 'warden.db')}`);
      expect(run.stderr).toContain(`signing-keys ${command} uses an existing store and makes none`);
    }
    expect(existsSync(join(cwd, '.warden'))).toBe(false);
    const typo = await warden(['signing-keys', 'rotate', '--nwo'], { cwd });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("error: unknown option '--nwo' (did you mean --now?)");
  });

  it('rotate creates the first key on a store without one, then publishes the next; list shows their states', async () => {
    const { cwd, database } = await store();
    expect(await wardenJson(['signing-keys', 'list'], { cwd })).toEqual({ items: [], database });
    const empty = await warden(['signing-keys', 'list'], { cwd });
    expect(empty.stdout).toBe(`no signing keys in ${database}: warden serve creates the first one when it starts\n`);

    const first = await wardenJson(['signing-keys', 'rotate'], { cwd });
    expect(first).toMatchObject({ key: { state: 'active', algorithm: 'ES256' }, previous: null, database });
    const next = await wardenJson(['signing-keys', 'rotate'], { cwd });
    expect(next).toMatchObject({ key: { state: 'next' }, previous: { kid: first.key.kid, state: 'active' } });
    const hour = Date.parse(next.key.activatedAt) - Date.parse(next.key.publishedAt);
    expect(hour).toBe(3_600_000);

    const pending = await warden(['signing-keys', 'rotate'], { cwd });
    expect(pending.code).toBe(1);
    expect(pending.stderr).toContain(`error: a rotation is already pending: ${next.key.kid} starts signing at`);
    const pendingJson = await wardenJson(['signing-keys', 'rotate'], { cwd }, 1);
    expect(pendingJson.error).toBe('conflict');

    const now = await wardenJson(['signing-keys', 'rotate', '--now'], { cwd });
    expect(now).toMatchObject({ key: { kid: next.key.kid, state: 'active' }, previous: { state: 'retired' } });
    const listed = await warden(['signing-keys', 'list'], { cwd });
    expect(listed.code).toBe(0);
    const lines = listed.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^KID +ALGORITHM +STATE +ACTIVATED +RETIRED +EXPIRES$/);
    expect(lines.slice(1).map((line) => line.split(/ +/).slice(0, 3))).toEqual([
      [next.key.kid, 'ES256', 'active'],
      [first.key.kid, 'ES256', 'retired'],
    ]);
    expect(listed.stdout).not.toMatch(/"d"|v1\./);
  });

  it('a wrong master key is refused with master_key_mismatch (exit 2), and nothing is written', async () => {
    const { cwd } = await store();
    await wardenJson(['signing-keys', 'rotate'], { cwd });
    const env = { WARDEN_MASTER_KEY: 'not-the-master-key-0123456789abcdefghijkl' };
    const run = await warden(['signing-keys', 'rotate'], { cwd, env });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^error: signing key [A-Za-z0-9_-]{22} cannot be decrypted: the master key/);
    expect((await wardenJson(['signing-keys', 'rotate'], { cwd, env }, 2)).error).toBe('master_key_mismatch');
    expect((await wardenJson(['signing-keys', 'list'], { cwd })).items).toHaveLength(1);
  });

  it('with a running server: its JWKS verifies tokens the signer signs; a CLI rotation reaches it within refresh_interval', async () => {
    const { cwd } = await store();
    const served = await serve(cwd);
    const [adminKey] = bootstrapKeysIn(served.stdout());
    const initial = await jwksOf(served.baseUrl);
    expect(initial.keys).toHaveLength(1);
    expect(initial.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(initial.keys[0]).not.toHaveProperty(member);

    const discovery = await (await fetch(`${served.baseUrl}/.well-known/openid-configuration`)).json();
    expect(discovery).toMatchObject({ issuer: ISSUER, jwks_uri: `${ISSUER}/.well-known/jwks.json` });
    expect(await (await fetch(`${served.baseUrl}/.well-known/oauth-authorization-server`)).json()).toEqual(discovery);

    // An engine in this process on the server's store signs; the server's JWKS, fetched over HTTP, verifies.
    const engine = await createWarden({
      config: { data_dir: join(cwd, '.warden'), issuer: ISSUER },
      background: false,
      logger: createLogger('silent'),
    });
    onCleanup(() => engine.close());
    const iat = Math.floor(Date.now() / 1000);
    const claims = { sub: 'orders-svc', aud: 'orders', iat, exp: iat + 300, jti: 'j1' };
    const token = await engine.signingKeys.signer.sign(claims, 'at+jwt');
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'ES256', kid: initial.keys[0]!.kid, typ: 'at+jwt' });
    const remote = createRemoteJWKSet(new URL(`${served.baseUrl}/.well-known/jwks.json`));
    const verified = await jwtVerify(token, remote, { issuer: ISSUER, audience: 'orders', algorithms: ['ES256'] });
    expect(verified.payload.sub).toBe('orders-svc');

    const rotated = await wardenJson(['signing-keys', 'rotate'], { cwd });
    const kids = async () => (await jwksOf(served.baseUrl)).keys.map((key) => key.kid);
    await within(REFRESH_MS + 1_000, async () => (await kids()).includes(rotated.key.kid));
    expect(await kids()).toEqual([rotated.key.kid, initial.keys[0]!.kid]);

    const audit = await fetch(`${served.baseUrl}/v1/admin/audit?action=signing_key.rotate`, {
      headers: { authorization: `Bearer ${adminKey}` },
    });
    expect(((await audit.json()) as { items: unknown[] }).items).toMatchObject([
      { action: 'signing_key.rotate', actor: 'cli', targetType: 'signing_key', targetId: rotated.key.kid },
    ]);
  });
});
