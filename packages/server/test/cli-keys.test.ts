import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createWarden } from '../src/engine.js';
import { buildApp } from '../src/http/app.js';
import { LABEL_RULE, ROLE_NAME_RULE, SCOPE_TOKEN_RULE } from '../src/identity/names.js';
import { createLogger } from '../src/observability/logger.js';
import { buildCli, KEY_PATTERN, onCleanup, runCleanups, warden, wardenJson, workDir } from './helpers/cli.js';
import { checksummedKey } from './helpers/requests.js';

beforeAll(buildCli, 180_000);
afterEach(runCleanups);

/** A working directory whose store exists, made by `keys create` (commands that only read need one). */
async function storeWithKey(args: string[] = ['--subject', 'svc']) {
  const cwd = workDir();
  const created = await wardenJson(['keys', 'create', ...args], { cwd });
  return { cwd, created, database: `sqlite:${join(cwd, '.warden', 'warden.db')}` };
}

function expectNoSecretFields(text: string, ...plaintextKeys: string[]): void {
  for (const field of ['"key"', 'salt', 'secretHash', 'secret_hash', 'hash']) expect(text).not.toContain(field);
  for (const key of plaintextKeys) {
    expect(text).not.toContain(key);
    // Not even the secret part of the key.
    expect(text).not.toContain(key.split('_')[2]!);
  }
}

describe('keys', () => {
  it('create prints the key once; list and show never contain the key, its salt or hash', async () => {
    const cwd = workDir();
    const created = await wardenJson(
      [
        'keys',
        'create',
        '--subject',
        'orders-svc',
        '--name',
        'orders',
        '--subject-type',
        'agent',
        '--tenant',
        'acme',
        '--role',
        'reader',
        '--role',
        'writer',
        '--scope',
        'orders.read',
        '--scope',
        'orders.write',
        '--metadata',
        'team=payments',
        '--metadata',
        'url=https://x.example/?a=b',
        '--expires-in',
        '90d',
      ],
      { cwd },
    );
    expect(created.key).toMatch(KEY_PATTERN);
    expect(created.key.split('_')[1]).toBe(created.record.id);
    expect(created.database).toBe(`sqlite:${join(cwd, '.warden', 'warden.db')}`);
    expect(created.record).toMatchObject({
      prefix: 'wdn',
      name: 'orders',
      subject: 'orders-svc',
      subjectType: 'agent',
      tenant: 'acme',
      admin: false,
      roles: ['reader', 'writer'],
      scopes: ['orders.read', 'orders.write'],
      metadata: { team: 'payments', url: 'https://x.example/?a=b' },
      status: 'active',
      createdBy: 'cli',
      revokedAt: null,
      rotatedFrom: null,
    });
    const lifetime = Date.parse(created.record.expiresAt) - Date.parse(created.record.createdAt);
    expect(lifetime).toBe(90 * 86_400_000);
    expectNoSecretFields(JSON.stringify(created.record), created.key);

    const listed = await warden(['keys', 'list', '--json'], { cwd });
    expect(listed.code).toBe(0);
    const items = JSON.parse(listed.stdout).items;
    expect(items.map((k: { id: string }) => k.id)).toEqual([created.record.id]);
    expect(items[0]).toEqual(created.record);
    expectNoSecretFields(listed.stdout + listed.stderr, created.key);

    const shown = await warden(['keys', 'show', created.record.id, '--json'], { cwd });
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toEqual({ ...created.record, database: created.database });
    expectNoSecretFields(shown.stdout + shown.stderr, created.key);

    for (const args of [
      ['keys', 'list'],
      ['keys', 'show', created.record.id],
    ]) {
      const human = await warden(args, { cwd });
      expect(human.code).toBe(0);
      expect(human.stdout).toContain(created.record.id);
      expectNoSecretFields(human.stdout + human.stderr, created.key);
    }
  });

  it('create in human form shows the key once with a warning to store it', async () => {
    const cwd = workDir();
    const run = await warden(['keys', 'create', '--subject', 'svc', '--admin'], { cwd });
    expect(run.code).toBe(0);
    const key = /^key {10}(\S+)$/m.exec(run.stdout)?.[1];
    expect(key).toMatch(KEY_PATTERN);
    expect(run.stdout.split(key!).length - 1).toBe(1);
    expect(run.stdout).toContain('Store the key now: it is not shown again.');
    expect(run.stdout).toMatch(/^admin {8}true$/m);
  });

  it('verify: a valid key exits 0 with its principal', async () => {
    const { cwd, created, database } = await storeWithKey(['--subject', 'svc', '--scope', 's1']);
    const verified = await wardenJson(['keys', 'verify', created.key], { cwd });
    expect(verified).toEqual({
      database,
      valid: true,
      principal: {
        subject: 'svc',
        subjectType: 'service',
        tenant: null,
        admin: false,
        roles: [],
        scopes: ['s1'],
        metadata: {},
        credential: { kind: 'api_key', id: created.record.id },
      },
    });
    const human = await warden(['keys', 'verify', created.key], { cwd });
    expect(human.code).toBe(0);
    expect(human.stdout).toBe('valid: svc (service)\n');
  });

  it.each([
    ['garbage', 'malformed_credentials'],
    ['wdn_AAAAAAAAAAAA_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB', 'malformed_credentials'],
  ])('verify: %j exits 1 with %s', async (presented, code) => {
    const { cwd, database } = await storeWithKey();
    const out = await wardenJson(['keys', 'verify', presented], { cwd }, 1);
    expect(out).toEqual({ valid: false, code, database });
    const human = await warden(['keys', 'verify', presented], { cwd });
    expect(human.code).toBe(1);
    expect(human.stderr).toBe(`error: key is not valid: ${code}\n`);
  });

  it('verify: a checksummed key with a wrong secret or an unknown id exits 1 with invalid_credentials', async () => {
    const { cwd, created, database } = await storeWithKey();
    const wrongSecret = checksummedKey(created.record.id, 'A'.repeat(22));
    const unknownId = checksummedKey('Z'.repeat(12), 'A'.repeat(22));
    for (const presented of [wrongSecret, unknownId]) {
      const out = await wardenJson(['keys', 'verify', presented], { cwd }, 1);
      expect(out).toEqual({ valid: false, code: 'invalid_credentials', database });
    }
  });

  it('verify --json answers as POST /v1/admin/keys/verify does, plus the database', async () => {
    const { cwd, created: admin, database } = await storeWithKey(['--subject', 'ops', '--admin', '--scope', 's']);
    const revoked = await wardenJson(['keys', 'create', '--subject', 'gone'], { cwd });
    await wardenJson(['keys', 'revoke', revoked.record.id], { cwd });
    const engine = await createWarden({
      config: { data_dir: join(cwd, '.warden') },
      background: false,
      logger: createLogger('silent'),
    });
    const app = buildApp(engine);
    onCleanup(async () => {
      await app.close();
      await engine.close();
    });
    for (const [presented, exit] of [
      [admin.key, 0],
      [revoked.key, 1],
      ['garbage', 1],
    ] as const) {
      const response = await app.inject({
        method: 'POST',
        url: '/v1/admin/keys/verify',
        headers: { authorization: `Bearer ${admin.key}` },
        payload: { key: presented },
      });
      expect(response.statusCode).toBe(200);
      const cli = await wardenJson(['keys', 'verify', presented], { cwd }, exit);
      expect(cli).toEqual({ ...response.json(), database });
    }
  });

  it('revoke: the key stops verifying (revoked); revoking twice exits 1 with conflict', async () => {
    const cwd = workDir();
    const created = await wardenJson(['keys', 'create', '--subject', 'svc'], { cwd });
    const revoked = await wardenJson(['keys', 'revoke', created.record.id, '--reason', 'leaked'], { cwd });
    expect(revoked).toMatchObject({ id: created.record.id, status: 'revoked', revokedReason: 'leaked' });
    expect(revoked.revokedAt).toBeTypeOf('string');

    const verified = await wardenJson(['keys', 'verify', created.key], { cwd }, 1);
    expect(verified).toEqual({ valid: false, code: 'revoked', database: created.database });

    const again = await wardenJson(['keys', 'revoke', created.record.id], { cwd }, 1);
    expect(again).toEqual({ error: 'conflict', message: `API key ${created.record.id} is already revoked` });

    const listed = await wardenJson(['keys', 'list', '--status', 'revoked'], { cwd });
    expect(listed.items.map((k: { id: string }) => k.id)).toEqual([created.record.id]);
    expect((await wardenJson(['keys', 'list', '--status', 'active'], { cwd })).items).toEqual([]);
  });

  it('show, revoke and rotate of an unknown id exit 1 with not_found', async () => {
    const { cwd } = await storeWithKey();
    for (const command of ['show', 'revoke', 'rotate']) {
      const out = await wardenJson(['keys', command, 'NoSuchKey123'], { cwd }, 1);
      expect(out).toEqual({ error: 'not_found', message: 'no API key with id "NoSuchKey123"' });
    }
  });

  it('rotate --expires-in sets the new key lifetime; a malformed one exits 2', async () => {
    const cwd = workDir();
    const old = await wardenJson(['keys', 'create', '--subject', 'svc', '--expires-in', '2d'], { cwd });
    const before = Date.now();
    const rotated = await wardenJson(['keys', 'rotate', old.record.id, '--expires-in', '30d'], { cwd });
    const expiresAt = Date.parse(rotated.record.expiresAt);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 30 * 86_400_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 30 * 86_400_000);
    const bad = await wardenJson(['keys', 'rotate', rotated.record.id, '--expires-in', '90days'], { cwd }, 2);
    expect(bad).toEqual({
      error: 'invalid_request',
      message: '--expires-in: must be a positive duration like 30m, 12h, 90d or 2w',
    });
  });

  it("rotate without --expires-in: api_keys.default_expires_in from now, else the old key's expiry", async () => {
    const cwd = workDir();
    const old = await wardenJson(['keys', 'create', '--subject', 'svc', '--expires-in', '2d'], { cwd });
    const kept = await wardenJson(['keys', 'rotate', old.record.id], { cwd });
    expect(kept.record.expiresAt).toBe(old.record.expiresAt);
    writeFileSync(join(cwd, 'warden.yaml'), 'api_keys:\n  default_expires_in: 7d\n');
    const before = Date.now();
    const rotated = await wardenJson(['keys', 'rotate', kept.record.id], { cwd });
    const expiresAt = Date.parse(rotated.record.expiresAt);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 7 * 86_400_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 7 * 86_400_000);
  });

  it('rotate --overlap: the old key stays valid during the overlap, the new one is valid', async () => {
    const cwd = workDir();
    const old = await wardenJson(['keys', 'create', '--subject', 'svc', '--scope', 'a', '--role', 'r'], { cwd });
    const before = Date.now();
    const rotated = await wardenJson(['keys', 'rotate', old.record.id, '--overlap', '1h'], { cwd });
    expect(rotated.key).toMatch(KEY_PATTERN);
    expect(rotated.key).not.toBe(old.key);
    expect(rotated.record).toMatchObject({
      subject: 'svc',
      scopes: ['a'],
      roles: ['r'],
      rotatedFrom: old.record.id,
      status: 'active',
    });
    expect(rotated.previous).toMatchObject({ id: old.record.id, rotatedTo: rotated.record.id, status: 'active' });
    const oldExpires = Date.parse(rotated.previous.expiresAt);
    expect(oldExpires).toBeGreaterThanOrEqual(before + 3_600_000);
    expect(oldExpires).toBeLessThanOrEqual(Date.now() + 3_600_000);
    expectNoSecretFields(JSON.stringify(rotated.record) + JSON.stringify(rotated.previous), old.key, rotated.key);

    expect((await wardenJson(['keys', 'verify', old.key], { cwd })).principal.credential.id).toBe(old.record.id);
    expect((await wardenJson(['keys', 'verify', rotated.key], { cwd })).principal.credential.id).toBe(
      rotated.record.id,
    );
    // A key already rotated cannot be rotated again.
    const again = await wardenJson(['keys', 'rotate', old.record.id], { cwd }, 1);
    expect(again.error).toBe('conflict');
  });

  it('rotate without --overlap: the old key is invalid at once', async () => {
    const cwd = workDir();
    const old = await wardenJson(['keys', 'create', '--subject', 'svc'], { cwd });
    const rotated = await wardenJson(['keys', 'rotate', old.record.id], { cwd });
    const oldResult = await wardenJson(['keys', 'verify', old.key], { cwd }, 1);
    expect(oldResult.code).toBe('expired');
    await wardenJson(['keys', 'verify', rotated.key], { cwd });
    const shown = await wardenJson(['keys', 'show', old.record.id], { cwd });
    expect(shown.status).toBe('expired');
  });

  it('rotate of a revoked key exits 1 with conflict', async () => {
    const cwd = workDir();
    const old = await wardenJson(['keys', 'create', '--subject', 'svc'], { cwd });
    await wardenJson(['keys', 'revoke', old.record.id], { cwd });
    const out = await wardenJson(['keys', 'rotate', old.record.id], { cwd }, 1);
    expect(out).toEqual({ error: 'conflict', message: `API key ${old.record.id} is revoked and cannot be rotated` });
  });

  it.each([
    [['--expires-in', '3 days'], '--expires-in: must be a positive duration like 30m, 12h, 90d or 2w'],
    [['--expires-in', '90days'], '--expires-in: must be a positive duration like 30m, 12h, 90d or 2w'],
    [['--expires-in', '0d'], '--expires-in: must be a positive duration like 30m, 12h, 90d or 2w'],
    [['--metadata', 'novalue'], '--metadata: must be key=value, got "novalue"'],
    [['--metadata', '=value'], '--metadata: must be key=value, got "=value"'],
    [['--name', ' padded'], `--name: ${LABEL_RULE}`],
    [['--scope', 'ok', '--scope', 'a b'], `--scope: value 2 of 2 ${SCOPE_TOKEN_RULE}`],
    [
      ['--role', 'x,y', '--expires-in', 'soon'],
      `--role: ${ROLE_NAME_RULE}; --expires-in: must be a positive duration like 30m, 12h, 90d or 2w`,
    ],
  ])('create %j exits 2 naming the flag, before any store is made', async (extra, message) => {
    const cwd = workDir();
    const out = await wardenJson(['keys', 'create', '--subject', 'svc', ...extra], { cwd }, 2);
    expect(out).toEqual({ error: 'invalid_request', message });
    expect(existsSync(join(cwd, '.warden'))).toBe(false);
  });

  it.each([
    [['rotate', '--overlap', 'soon'], '--overlap: must be a positive duration like 30m, 12h, 90d or 2w'],
    [['rotate', '--overlap', '1'], '--overlap: must be a positive duration like 30m, 12h, 90d or 2w'],
    [['rotate', '--expires-in', '1'], '--expires-in: must be a positive duration like 30m, 12h, 90d or 2w'],
    [['revoke', '--reason', 'tab\there'], `--reason: ${LABEL_RULE}`],
  ])('%j of a key exits 2 naming the flag, and the key keeps working', async ([command, ...flags], message) => {
    const { cwd, created } = await storeWithKey();
    const out = await wardenJson(['keys', command!, created.record.id, ...flags], { cwd }, 2);
    expect(out).toEqual({ error: 'invalid_request', message });
    await wardenJson(['keys', 'verify', created.key], { cwd });
  });

  it.each([
    [['--limit', 'abc'], '--limit: must be a whole number'],
    [['--limit', '1.5'], '--limit: must be a whole number'],
    [['--limit', '0'], '--limit: must be at least 1'],
    [['--limit', '1001'], '--limit: must be at most 1000'],
    [['--subject', ' svc'], `--subject: ${LABEL_RULE}`],
  ])('list %j exits 2 naming the flag', async (flags, message) => {
    const { cwd } = await storeWithKey();
    expect(await wardenJson(['keys', 'list', ...flags], { cwd }, 2)).toEqual({ error: 'invalid_request', message });
  });

  it('--subject-type outside the choices exits 2, naming the flag as every other flag problem', async () => {
    const run = await warden(['keys', 'create', '--subject', 'svc', '--subject-type', 'robot'], { cwd: workDir() });
    expect(run.code).toBe(2);
    // Worded as every other flag problem, without the value.
    expect(run.stderr).toMatch(/^error: --subject-type: must be one of user, service, agent, session\n/);
    expect(run.stderr).not.toContain('robot');
  });

  it('list pages: --json gives next as the admin API does, text has a header, scopes and the --after hint', async () => {
    const cwd = workDir();
    const ids: string[] = [];
    for (const subject of ['a', 'b', 'c']) {
      const created = await wardenJson(['keys', 'create', '--subject', subject, '--scope', `${subject}.read`], { cwd });
      ids.push(created.record.id);
    }
    const inOrder = (await wardenJson(['keys', 'list'], { cwd })).items.map((k: { id: string }) => k.id);
    expect([...inOrder].sort()).toEqual([...ids].sort());
    expect((await wardenJson(['keys', 'list'], { cwd })).next).toBeNull();

    const first = await wardenJson(['keys', 'list', '--limit', '2'], { cwd });
    expect(first.items.map((k: { id: string }) => k.id)).toEqual(inOrder.slice(0, 2));
    expect(first.next).toBe(inOrder[1]);
    const last = await wardenJson(['keys', 'list', '--limit', '2', '--after', first.next], { cwd });
    expect(last.items.map((k: { id: string }) => k.id)).toEqual(inOrder.slice(2));
    expect(last.next).toBeNull();

    const text = await warden(['keys', 'list', '--limit', '2'], { cwd });
    expect(text.code).toBe(0);
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID +STATUS +SUBJECT +NAME +SCOPES +EXPIRES$/);
    expect(lines).toHaveLength(4);
    expect(lines[1]).toMatch(new RegExp(`^${inOrder[0]} +active +[abc] +- +[abc]\\.read +-$`));
    expect(lines[3]).toBe(`more keys may follow: repeat with --after ${inOrder[1]}`);
    const lastText = await warden(['keys', 'list', '--limit', '2', '--after', inOrder[1]], { cwd });
    expect(lastText.stdout.trimEnd().split('\n')).toHaveLength(2);
    expect(lastText.stdout).not.toContain('--after');
  });

  it('list filters by subject and tenant', async () => {
    const cwd = workDir();
    const a = await wardenJson(['keys', 'create', '--subject', 'a', '--tenant', 't1'], { cwd });
    const b = await wardenJson(['keys', 'create', '--subject', 'b', '--tenant', 't2'], { cwd });
    const bySubject = await wardenJson(['keys', 'list', '--subject', 'a'], { cwd });
    expect(bySubject.items.map((k: { id: string }) => k.id)).toEqual([a.record.id]);
    const byTenant = await wardenJson(['keys', 'list', '--tenant', 't2'], { cwd });
    expect(byTenant.items.map((k: { id: string }) => k.id)).toEqual([b.record.id]);
  });
});
