import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, runCleanups, warden, wardenJson, workDir } from './helpers/cli.js';
import { createTestDatabase, type TestDatabase, testDialects } from './helpers/databases.js';

beforeAll(buildCli, 180_000);
afterEach(runCleanups);

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
