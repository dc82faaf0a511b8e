import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  bootstrapKeysIn,
  buildCli,
  runCleanups,
  type Served,
  serve,
  warden,
  wardenJson,
  workDir,
} from './helpers/cli.js';
import { createTestDatabase, type TestDatabase, testDialects } from './helpers/databases.js';

beforeAll(buildCli, 180_000);
afterEach(runCleanups);

/** How every refusal says to choose another store: the flags and variables of config/schema.ts. */
const HOW_TO_CHOOSE = '--data-dir DIR or --database URL (env WARDEN_DATA_DIR, WARDEN_DATABASE_URL; or a --config FILE';

/** Resolves with the JSON log line of `warden serve` whose message is `message`, once it has been written. */
function logLine(served: Served, message: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const stderr = served.child.stderr!;
    const look = () => {
      const line = served
        .stderr()
        .split('\n')
        .find((text) => text.includes(`"msg":"${message}"`));
      if (line === undefined) return;
      stderr.off('data', look);
      served.child.off('exit', exited);
      resolve(JSON.parse(line) as Record<string, unknown>);
    };
    const exited = () => reject(new Error(`serve exited before logging "${message}"\n${served.stderr()}`));
    stderr.on('data', look);
    served.child.once('exit', exited);
    look();
  });
}

async function adminGet(baseUrl: string, key: string, path = '/v1/admin/keys'): Promise<number> {
  return (await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${key}` } })).status;
}

describe('a command that reads refuses a store that does not exist, and makes none', () => {
  it.each([
    [['keys', 'list']],
    [['keys', 'show', 'NoSuchKey123']],
    [['keys', 'verify', 'garbage']],
    [['keys', 'revoke', 'NoSuchKey123']],
    [['keys', 'rotate', 'NoSuchKey123']],
    [['config', 'check']],
  ])('%j in a directory without a store exits 2 naming the paths it looked at', async (args) => {
    const cwd = workDir();
    const dataDir = join(cwd, '.warden');
    const json = await wardenJson(args, { cwd }, 2);
    expect(json.error).toBe('config_invalid');
    expect(json.message).toBe(
      `no Warden store at sqlite:${join(dataDir, 'warden.db')}: the file does not exist; the data directory ` +
        `${dataDir} (pepper and master key) does not exist. ${args.slice(0, 2).join(' ')} uses an existing ` +
        `store and makes none: run it where the server runs, or name the store with ${HOW_TO_CHOOSE} that sets ` +
        'them); `warden migrate` makes a new store.',
    );
    const text = await warden(args, { cwd });
    expect(text.code).toBe(2);
    expect(text.stdout).toBe('');
    expect(text.stderr).toBe(`error: ${json.message}\n`);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('a mistyped --data-dir, WARDEN_DATA_DIR or --database next to a real store is refused, not made', async () => {
    const cwd = workDir();
    await wardenJson(['keys', 'create', '--subject', 'svc'], { cwd });
    const typo = join(cwd, '.wardn');
    for (const run of [
      await wardenJson(['keys', 'list', '--data-dir', '.wardn'], { cwd }, 2),
      await wardenJson(['keys', 'list'], { cwd, env: { WARDEN_DATA_DIR: typo } }, 2),
    ]) {
      expect(run.message).toMatch(new RegExp(`^no Warden store at sqlite:${join(typo, 'warden.db')}: `));
      expect(run.message).toContain(`the data directory ${typo} (pepper and master key) does not exist`);
    }
    // The database alone is missing: the secrets are in the real data directory.
    const other = join(cwd, 'other.db');
    const byUrl = await wardenJson(['keys', 'list', '--database', `sqlite:${other}`], { cwd }, 2);
    expect(byUrl.message).toMatch(new RegExp(`^no Warden store at sqlite:${other}: the file does not exist\\. `));
    expect(existsSync(typo)).toBe(false);
    expect(existsSync(other)).toBe(false);
    // The real store still answers.
    expect((await wardenJson(['keys', 'list'], { cwd })).items).toHaveLength(1);
  });

  it('an unknown WARDEN_* variable is a warning on every command, so a misspelt WARDEN_DATA_DIR is never quiet', async () => {
    const cwd = workDir();
    const real = join(cwd, 'real');
    await wardenJson(['keys', 'create', '--subject', 'svc', '--data-dir', real], { cwd });
    const warning = 'warning: WARDEN_DATADIR: unknown environment variable, ignored (did you mean WARDEN_DATA_DIR?)\n';
    const env = { WARDEN_DATADIR: real };
    // Ignored, as it says: the command looks at ./.warden, which is not there.
    const list = await warden(['keys', 'list', '--json'], { cwd, env });
    expect(list.code).toBe(2);
    expect(list.stderr).toBe(warning);
    expect(JSON.parse(list.stdout).message).toMatch(/^no Warden store at sqlite:.*\/\.warden\/warden\.db: /);
    // A command that makes a store says both: what it ignored, and what it made.
    const migrate = await warden(['migrate', '--json'], { cwd, env });
    expect(migrate.code).toBe(0);
    expect(migrate.stderr).toMatch(
      new RegExp(`^${warning.replace(/[()?]/g, '\\$&')}note: created a new Warden store at `),
    );
  });

  it('a SQLite file that is not a Warden store is refused and left as it was', async () => {
    const cwd = workDir();
    await wardenJson(['migrate'], { cwd });
    const file = join(cwd, 'someone-elses.db');
    const foreign = new SqliteDatabase(file);
    foreign.exec('create table notes (body text)');
    foreign.close();
    const out = await wardenJson(['keys', 'list', '--database', `sqlite:${file}`], { cwd }, 2);
    expect(out.message).toMatch(
      new RegExp(`^no Warden store at sqlite:${file}: the database holds no Warden schema\\. keys list uses`),
    );
    const tables = new SqliteDatabase(file, { readonly: true })
      .prepare("select name from sqlite_master where type = 'table'")
      .all();
    expect(tables).toEqual([{ name: 'notes' }]);
  });
});

describe('a command that writes says which store it made', () => {
  it('keys create in a new directory names the database and data directory on stderr, once', async () => {
    const cwd = workDir();
    const dataDir = join(cwd, '.warden');
    const database = `sqlite:${join(dataDir, 'warden.db')}`;
    const first = await warden(['keys', 'create', '--subject', 'svc', '--json'], { cwd });
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout).database).toBe(database);
    expect(first.stderr).toBe(
      `note: created a new Warden store at ${database} and a new pepper and master key in ${dataDir}; to use ` +
        `another store, name it with ${HOW_TO_CHOOSE} that sets them)\n`,
    );
    const second = await warden(['keys', 'create', '--subject', 'svc'], { cwd });
    expect(second.code).toBe(0);
    expect(second.stderr).toBe('');
  });

  it('migrate names the database it made; the secrets come with the first command that uses them', async () => {
    const cwd = workDir();
    const database = `sqlite:${join(cwd, '.warden', 'warden.db')}`;
    const first = await warden(['migrate'], { cwd });
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(new RegExp(`^note: created a new Warden store at ${database}; to use another`));
    expect(first.stderr).not.toContain('pepper');
    expect((await warden(['migrate'], { cwd })).stderr).toBe('');
    // The store exists now, so a reading command uses it.
    expect(await wardenJson(['keys', 'list'], { cwd })).toEqual({ items: [], next: null, database });
    expect((await warden(['keys', 'list'], { cwd })).stdout).toBe(`no keys in ${database}\n`);
  });

  it('the server start log names the database', async () => {
    const cwd = workDir();
    const served = await serve(cwd, ['--log-level', 'info']);
    const listening = await logLine(served, 'Warden listening');
    expect(listening.database).toBe(`sqlite:${join(cwd, '.warden', 'warden.db')}`);
  });

  describe('PostgreSQL', async () => {
    const dialects = await testDialects();
    let database: TestDatabase | null = null;
    afterAll(async () => database?.drop());

    it.runIf(dialects.includes('postgres'))(
      'a database without the Warden schema: reading commands refuse and create no table; keys create makes it',
      async () => {
        database = await createTestDatabase('postgres');
        const cwd = workDir();
        const withPassword = new URL(database.url);
        withPassword.password = 'pg-password-in-userinfo';
        const url = withPassword.toString();
        const location = `postgres://postgres:[redacted]@${withPassword.host}${withPassword.pathname}`;

        const refused = await warden(['keys', 'list', '--database', url, '--json'], { cwd });
        expect(refused.code).toBe(2);
        const answer = JSON.parse(refused.stdout);
        expect(answer.message).toMatch(
          new RegExp(`^no Warden store at ${location.replace(/[[\]]/g, '\\$&')}: the database holds no Warden schema;`),
        );
        const tables = async () => {
          const client = new pg.Client({ connectionString: database!.url });
          await client.connect();
          try {
            const result = await client.query(
              "select table_name from information_schema.tables where table_schema = 'public'",
            );
            return result.rows.length;
          } finally {
            await client.end();
          }
        };
        expect(await tables()).toBe(0);

        const created = await warden(['keys', 'create', '--subject', 'pg-svc', '--database', url, '--json'], { cwd });
        expect(created.code, created.stderr).toBe(0);
        expect(JSON.parse(created.stdout).database).toBe(location);
        expect(created.stderr).toMatch(
          new RegExp(`^note: created a new Warden store at ${location.replace(/[[\]]/g, '\\$&')} and a new pepper`),
        );
        expect(await tables()).toBeGreaterThan(0);
        const listed = await wardenJson(['keys', 'list', '--database', url], { cwd });
        expect(listed.database).toBe(location);
        expect(listed.items).toHaveLength(1);

        const served = await serve(cwd, ['--database', url, '--log-level', 'info']);
        expect((await logLine(served, 'Warden listening')).database).toBe(location);
        for (const output of [refused, created].flatMap((run) => [run.stdout, run.stderr]).concat(served.stderr())) {
          expect(output).not.toContain('pg-password-in-userinfo');
        }
      },
    );
  });
});

describe('the bootstrap admin key', () => {
  /** Starts `warden serve` in a new directory with this warden.yaml; the bootstrap key and its record. */
  async function bootstrap(yaml: string) {
    const cwd = workDir();
    writeFileSync(join(cwd, 'warden.yaml'), yaml);
    const served = await serve(cwd);
    const [key] = bootstrapKeysIn(served.stdout());
    expect(key).toBeDefined();
    const record = await wardenJson(['keys', 'show', key!.split('_')[1]!], { cwd });
    return { cwd, served, key: key!, record };
  }
  const lifetimeOf = (record: Record<string, string | null>) =>
    record.expiresAt === null ? null : Date.parse(record.expiresAt!) - Date.parse(record.createdAt!);

  it('lives api_keys.bootstrap_expires_in, over api_keys.default_expires_in', async () => {
    const { record } = await bootstrap('api_keys:\n  default_expires_in: 30d\n  bootstrap_expires_in: 2h\n');
    expect(record).toMatchObject({ subject: 'admin', admin: true, createdBy: 'bootstrap' });
    expect(lifetimeOf(record)).toBe(2 * 3_600_000);
  });

  it('without it, lives api_keys.default_expires_in, as before', async () => {
    expect(lifetimeOf((await bootstrap('api_keys:\n  default_expires_in: 30d\n')).record)).toBe(30 * 86_400_000);
  });

  it('a lifetime of 0 is a configuration error', async () => {
    const cwd = workDir();
    writeFileSync(join(cwd, 'warden.yaml'), 'api_keys:\n  bootstrap_expires_in: 0\n');
    const run = await warden(['serve'], { cwd });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('api_keys.bootstrap_expires_in: must be longer than 0');
  });

  it('never expires by default; when it is lost, keys create --admin on the server store makes another', async () => {
    const { cwd, served, key, record } = await bootstrap('log:\n  level: warn\n');
    expect(record.expiresAt).toBeNull();
    // The README's recovery: a new admin key from the CLI, run where the server runs; then revoke the lost one.
    const ops = await wardenJson(['keys', 'create', '--subject', 'ops', '--admin'], { cwd });
    expect(await adminGet(served.baseUrl, ops.key)).toBe(200);
    const revoked = await fetch(`${served.baseUrl}/v1/admin/keys/${record.id}/revoke`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ops.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'lost' }),
    });
    expect(revoked.status).toBe(200);
    expect(await adminGet(served.baseUrl, key)).toBe(401);
    // A restart does not make a second bootstrap key: the deployment had one.
    await served.stop();
    const again = await serve(cwd);
    expect(bootstrapKeysIn(again.stdout())).toEqual([]);
    expect(await adminGet(again.baseUrl, ops.key)).toBe(200);
  });
});
