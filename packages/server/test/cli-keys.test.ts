import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, KEY_PATTERN, runCleanups, warden, wardenJson, workDir } from './helpers/cli.js';
import { checksummedKey } from './helpers/requests.js';

beforeAll(buildCli, 180_000);
afterEach(runCleanups);

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
    expect(JSON.parse(shown.stdout)).toEqual(created.record);
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
    const cwd = workDir();
    const created = await wardenJson(['keys', 'create', '--subject', 'svc', '--scope', 's1'], { cwd });
    const verified = await wardenJson(['keys', 'verify', created.key], { cwd });
    expect(verified).toEqual({
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
    const cwd = workDir();
    const out = await wardenJson(['keys', 'verify', presented], { cwd }, 1);
    expect(out).toEqual({ error: code, message: `key is not valid: ${code}`, valid: false });
    const human = await warden(['keys', 'verify', presented], { cwd });
    expect(human.code).toBe(1);
    expect(human.stderr).toBe(`error: key is not valid: ${code}\n`);
  });

  it('verify: a checksummed key with a wrong secret or an unknown id exits 1 with invalid_credentials', async () => {
    const cwd = workDir();
    const created = await wardenJson(['keys', 'create', '--subject', 'svc'], { cwd });
    const wrongSecret = checksummedKey(created.record.id, 'A'.repeat(22));
    const unknownId = checksummedKey('Z'.repeat(12), 'A'.repeat(22));
    for (const presented of [wrongSecret, unknownId]) {
      const out = await wardenJson(['keys', 'verify', presented], { cwd }, 1);
      expect(out).toEqual({
        error: 'invalid_credentials',
        message: 'key is not valid: invalid_credentials',
        valid: false,
      });
    }
  });

  it('revoke: the key stops verifying (revoked); revoking twice exits 1 with conflict', async () => {
    const cwd = workDir();
    const created = await wardenJson(['keys', 'create', '--subject', 'svc'], { cwd });
    const revoked = await wardenJson(['keys', 'revoke', created.record.id, '--reason', 'leaked'], { cwd });
    expect(revoked).toMatchObject({ id: created.record.id, status: 'revoked', revokedReason: 'leaked' });
    expect(revoked.revokedAt).toBeTypeOf('string');

    const verified = await wardenJson(['keys', 'verify', created.key], { cwd }, 1);
    expect(verified).toEqual({ error: 'revoked', message: 'key is not valid: revoked', valid: false });

    const again = await wardenJson(['keys', 'revoke', created.record.id], { cwd }, 1);
    expect(again).toEqual({ error: 'conflict', message: `API key ${created.record.id} is already revoked` });

    const listed = await wardenJson(['keys', 'list', '--status', 'revoked'], { cwd });
    expect(listed.items.map((k: { id: string }) => k.id)).toEqual([created.record.id]);
    expect((await wardenJson(['keys', 'list', '--status', 'active'], { cwd })).items).toEqual([]);
  });

  it('show, revoke and rotate of an unknown id exit 1 with not_found', async () => {
    const cwd = workDir();
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
    expect(bad).toMatchObject({ error: 'invalid_request', message: expect.stringContaining('expiresIn') });
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
    expect(oldResult.error).toBe('expired');
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
    [['--expires-in', '3 days'], 'expiresIn: must be a positive duration like 30m, 12h, 90d or 2w'],
    [['--expires-in', '0d'], 'expiresIn: must be a positive duration like 30m, 12h, 90d or 2w'],
    [['--metadata', 'novalue'], '--metadata expects key=value, got "novalue"'],
    [['--metadata', '=value'], '--metadata expects key=value, got "=value"'],
  ])('create %j exits 2 with invalid_request', async (extra, message) => {
    const cwd = workDir();
    const out = await wardenJson(['keys', 'create', '--subject', 'svc', ...extra], { cwd }, 2);
    expect(out).toEqual({ error: 'invalid_request', message });
    expect((await wardenJson(['keys', 'list'], { cwd })).items).toEqual([]);
  });

  it('rotate --overlap with a bad duration exits 2', async () => {
    const cwd = workDir();
    const old = await wardenJson(['keys', 'create', '--subject', 'svc'], { cwd });
    const out = await wardenJson(['keys', 'rotate', old.record.id, '--overlap', 'soon'], { cwd }, 2);
    expect(out.error).toBe('invalid_request');
    await wardenJson(['keys', 'verify', old.key], { cwd });
  });

  it('--subject-type outside the choices exits 2', async () => {
    const run = await warden(['keys', 'create', '--subject', 'svc', '--subject-type', 'robot'], { cwd: workDir() });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("argument 'robot' is invalid");
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
