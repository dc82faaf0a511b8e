import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bootstrapKeysIn, buildCli, runCleanups, serve, warden, wardenJson, workDir } from './helpers/cli.js';
import { createTestDatabase, type TestDatabase, testDialects } from './helpers/databases.js';
import { checksummedKey } from './helpers/requests.js';

const KEY_PATTERN = /^wdn_[0-9A-Za-z]+_[0-9A-Za-z]+$/;

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

describe('usage', () => {
  it('--help prints the commands and exits 0', async () => {
    const run = await warden(['--help'], { cwd: workDir() });
    expect(run.code).toBe(0);
    for (const command of ['serve', 'migrate', 'config', 'keys']) expect(run.stdout).toContain(command);
  });

  it('keys --help lists every key command', async () => {
    const run = await warden(['keys', '--help'], { cwd: workDir() });
    expect(run.code).toBe(0);
    for (const command of ['create', 'list', 'show', 'revoke', 'rotate', 'verify'])
      expect(run.stdout).toContain(command);
  });

  it('an unknown command exits 2', async () => {
    const run = await warden(['frobnicate'], { cwd: workDir() });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("unknown command 'frobnicate'");
  });

  it('an unknown option exits 2', async () => {
    const run = await warden(['keys', 'list', '--colour'], { cwd: workDir() });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("unknown option '--colour'");
  });

  it('a missing required option or argument exits 2', async () => {
    const cwd = workDir();
    expect((await warden(['keys', 'create'], { cwd })).code).toBe(2);
    expect((await warden(['keys', 'show'], { cwd })).code).toBe(2);
  });
});

describe('config check', () => {
  const pepper = 'pepper-from-env-0123456789abcdefghijkl';
  const masterKey = 'master-key-in-file-0123456789abcdefghij';
  const staticKey = 'static-plaintext-key-0123456789';
  const dbPassword = 'db-password-0123';

  function validConfigDir(): string {
    const cwd = workDir();
    writeFileSync(
      join(cwd, 'warden.yaml'),
      [
        'server:',
        '  port: ${PORT:-9191}',
        'database:',
        `  url: postgres://warden:${dbPassword}@db.internal:5432/warden`,
        'secrets:',
        '  pepper: ${PEPPER}',
        `  master_key: ${masterKey}`,
        'api_keys:',
        '  static:',
        `    ${staticKey}:`,
        '      subject: ci',
        '      admin: true',
        '',
      ].join('\n'),
    );
    return cwd;
  }

  it('a valid configuration exits 0 and prints it with secrets redacted (human)', async () => {
    const cwd = validConfigDir();
    const run = await warden(['config', 'check'], { cwd, env: { PEPPER: pepper } });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`configuration is valid (${join(cwd, 'warden.yaml')})`);
    expect(run.stdout).toContain('port: 9191');
    expect(run.stdout).toContain('pepper: "[redacted]"');
    expect(run.stdout).toContain('master_key: "[redacted]"');
    expect(run.stdout).toContain('url: postgres://warden:[redacted]@db.internal:5432/warden');
    expect(run.stdout).toContain('"[redacted]#1":');
    for (const secret of [pepper, masterKey, staticKey, dbPassword]) {
      expect(run.stdout).not.toContain(secret);
      expect(run.stderr).not.toContain(secret);
    }
  });

  it('a valid configuration exits 0 and prints it with secrets redacted (--json)', async () => {
    const cwd = validConfigDir();
    const run = await warden(['config', 'check', '--json'], { cwd, env: { PEPPER: pepper } });
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.valid).toBe(true);
    expect(out.file).toBe(join(cwd, 'warden.yaml'));
    expect(out.config.secrets).toEqual({ pepper: '[redacted]', master_key: '[redacted]' });
    expect(out.config.database.url).toBe('postgres://warden:[redacted]@db.internal:5432/warden');
    expect(Object.keys(out.config.api_keys.static)).toEqual(['[redacted]#1']);
    expect(out.config.api_keys.static['[redacted]#1']).toMatchObject({ subject: 'ci', admin: true });
    expect(out.config.server.port).toBe(9191);
    for (const secret of [pepper, masterKey, staticKey, dbPassword]) expect(run.stdout).not.toContain(secret);
  });

  it('without a file it reports defaults, environment and flags, data dir in the working directory', async () => {
    const cwd = workDir();
    const out = await wardenJson(['config', 'check', '--database', 'sqlite:/x/y.db'], {
      cwd,
      env: { WARDEN_PORT: '7000' },
    });
    expect(out.file).toBeNull();
    expect(out.config.data_dir).toBe(join(cwd, '.warden'));
    expect(out.config.database.url).toBe('sqlite:/x/y.db');
    expect(out.config.server.port).toBe(7000);
  });

  it('an unknown key exits 2 with the path and a did-you-mean (human, on stderr)', async () => {
    const cwd = workDir();
    writeFileSync(join(cwd, 'warden.yaml'), 'server:\n  prot: 80\napi_keys:\n  cache:\n    tll: 5s\n');
    const run = await warden(['config', 'check'], { cwd });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`error: invalid configuration (${join(cwd, 'warden.yaml')}):`);
    expect(run.stderr).toContain('  - server.prot: unknown key (did you mean "port"?)');
    expect(run.stderr).toContain('  - api_keys.cache.tll: unknown key (did you mean "ttl"?)');
  });

  it('an invalid configuration exits 2 with code config_invalid and the problems (--json)', async () => {
    const cwd = workDir();
    writeFileSync(join(cwd, 'warden.yaml'), 'sever:\n  port: 80\nlog:\n  level: loud\n');
    const out = await wardenJson(['config', 'check'], { cwd }, 2);
    expect(out.error).toBe('config_invalid');
    expect(out.problems).toHaveLength(2);
    expect(out.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^sever: unknown key \(did you mean "server"\?\); valid keys here: data_dir, /),
        expect.stringMatching(/^log\.level: Invalid option: expected one of "fatal"/),
      ]),
    );
  });

  it('a missing ${VAR} exits 2 naming the variable', async () => {
    const cwd = workDir();
    writeFileSync(join(cwd, 'warden.yaml'), 'secrets:\n  pepper: ${MISSING_PEPPER}\n');
    const out = await wardenJson(['config', 'check'], { cwd }, 2);
    expect(out.problems).toEqual(['secrets.pepper: environment variable MISSING_PEPPER is not set']);
  });

  it('a too-short WARDEN_PEPPER exits 2 and never echoes it', async () => {
    const cwd = workDir();
    const out = await wardenJson(['config', 'check'], { cwd, env: { WARDEN_PEPPER: 'short-pepper-xyz' } }, 2);
    expect(out.problems).toEqual(['secrets.pepper: too short, at least 32 characters are required']);
    expect(JSON.stringify(out)).not.toContain('short-pepper-xyz');
  });

  it('--config names the file; a missing one exits 2', async () => {
    const cwd = workDir();
    writeFileSync(join(cwd, 'other.yaml'), 'server:\n  port: 7001\n');
    expect((await wardenJson(['config', 'check', '--config', 'other.yaml'], { cwd })).config.server.port).toBe(7001);
    const out = await wardenJson(['config', 'check', '--config', 'absent.yaml'], { cwd }, 2);
    expect(out.message).toBe(`config file ${join(cwd, 'absent.yaml')} does not exist`);
  });
});

describe('migrate', () => {
  it('creates the SQLite database in the default data directory, then reports it up to date', async () => {
    const cwd = workDir();
    const first = await wardenJson(['migrate'], { cwd });
    expect(first.database).toBe(`sqlite:${join(cwd, '.warden', 'warden.db')}`);
    expect(first.applied.length).toBeGreaterThan(0);
    expect(first.current).toBe(first.applied.at(-1));
    expect(existsSync(join(cwd, '.warden', 'warden.db'))).toBe(true);

    const second = await wardenJson(['migrate'], { cwd });
    expect(second).toEqual({ database: first.database, applied: [], current: first.current });
    const human = await warden(['migrate'], { cwd });
    expect(human.code).toBe(0);
    expect(human.stdout).toBe(`${first.database} is up to date (${first.current})\n`);
  });

  it('honours --data-dir and WARDEN_DATABASE_URL', async () => {
    const cwd = workDir();
    const byFlag = await wardenJson(['migrate', '--data-dir', 'elsewhere'], { cwd });
    expect(byFlag.database).toBe(`sqlite:${join(cwd, 'elsewhere', 'warden.db')}`);
    const byEnv = await wardenJson(['migrate'], { cwd, env: { WARDEN_DATABASE_URL: `sqlite:${join(cwd, 'e.db')}` } });
    expect(byEnv.database).toBe(`sqlite:${join(cwd, 'e.db')}`);
    expect(byEnv.applied.length).toBeGreaterThan(0);
  });

  describe('PostgreSQL', async () => {
    const dialects = await testDialects();
    let database: TestDatabase | null = null;
    afterAll(async () => database?.drop());

    it.runIf(dialects.includes('postgres'))('migrates a fresh PostgreSQL database given by --database', async () => {
      database = await createTestDatabase('postgres');
      const cwd = workDir();
      // The test server trusts local connections, so a password is accepted and ignored: it must never be printed.
      const withPassword = new URL(database.url);
      withPassword.password = 'pg-password-in-userinfo';
      withPassword.searchParams.set('password', 'pg-password-in-query');
      const url = withPassword.toString();
      const first = await warden(['migrate', '--database', url, '--json'], { cwd });
      expect(first.code, first.stderr).toBe(0);
      const report = JSON.parse(first.stdout);
      expect(report.applied.length).toBeGreaterThan(0);
      expect(report.database).toBe(
        `postgres://postgres:[redacted]@${withPassword.host}${withPassword.pathname}?password=[redacted]`,
      );
      const human = await warden(['migrate', '--database', url], { cwd });
      expect(human.code).toBe(0);
      expect(human.stdout).toContain('is up to date');
      for (const output of [first.stdout, first.stderr, human.stdout, human.stderr]) {
        expect(output).not.toContain('pg-password-in-userinfo');
        expect(output).not.toContain('pg-password-in-query');
      }
      const second = await wardenJson(['migrate', '--database', database.url], { cwd });
      expect(second.applied).toEqual([]);
      expect(second.current).toBe(report.current);

      // And the keys commands work against it.
      const created = await wardenJson(['keys', 'create', '--subject', 'pg-svc', '--database', database.url], { cwd });
      const verified = await wardenJson(['keys', 'verify', created.key, '--database', database.url], { cwd });
      expect(verified.principal.subject).toBe('pg-svc');
    });

    it('a database that cannot be reached is an error exit, not a hang', async () => {
      const cwd = workDir();
      const run = await warden(['migrate', '--database', 'postgres://postgres@127.0.0.1:1/none', '--json'], { cwd });
      expect(run.code).not.toBe(0);
      expect(JSON.parse(run.stdout).error).toBeTypeOf('string');
    });
  });
});

describe('server secrets', () => {
  it('the first command generates pepper and master.key with mode 0600 in a 0700 data directory', async () => {
    const cwd = workDir();
    await wardenJson(['keys', 'list'], { cwd });
    const dataDir = join(cwd, '.warden');
    expect(statSync(join(dataDir, 'pepper')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dataDir, 'master.key')).mode & 0o777).toBe(0o600);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
  });

  it('with WARDEN_PEPPER and WARDEN_MASTER_KEY no secret file is written', async () => {
    const cwd = workDir();
    const env = {
      WARDEN_PEPPER: 'pepper-from-env-0123456789abcdefghijkl',
      WARDEN_MASTER_KEY: 'master-from-env-0123456789abcdefghijkl',
    };
    await wardenJson(['keys', 'list'], { cwd, env });
    expect(existsSync(join(cwd, '.warden', 'pepper'))).toBe(false);
    expect(existsSync(join(cwd, '.warden', 'master.key'))).toBe(false);
  });

  it('a too-short WARDEN_PEPPER stops a keys command with exit 2', async () => {
    const cwd = workDir();
    const out = await wardenJson(['keys', 'list'], { cwd, env: { WARDEN_PEPPER: 'too-short' } }, 2);
    expect(out.error).toBe('config_invalid');
    expect(out.message).toBe('WARDEN_PEPPER (secrets.pepper) is too short: at least 32 characters are required');
  });

  it('a different pepper on a database first used with another exits 2', async () => {
    const cwd = workDir();
    const created = await wardenJson(['keys', 'create', '--subject', 'svc'], { cwd });
    const out = await wardenJson(
      ['keys', 'verify', created.key],
      { cwd, env: { WARDEN_PEPPER: 'another-pepper-0123456789abcdefghijkl' } },
      2,
    );
    expect(out.error).toBe('config_invalid');
    expect(out.message).toMatch(/^the pepper differs from the one this database was first used with/);
  });
});

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

// ---------------------------------------------------------------------------------------------------------------

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
