import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, runCleanups, warden, wardenJson, workDir } from './helpers/cli.js';

beforeAll(buildCli, 180_000);
afterEach(runCleanups);

/** A store in `cwd`, where the configuration there names it: `config check` refuses a missing one. */
async function makeStore(cwd: string, flags: string[] = []): Promise<void> {
  await wardenJson(['keys', 'create', '--subject', 'svc', ...flags], { cwd });
}

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
    const database = `sqlite:${join(cwd, 'y.db')}`;
    await makeStore(cwd, ['--database', database]);
    const out = await wardenJson(['config', 'check', '--database', database], {
      cwd,
      env: { WARDEN_PORT: '7000' },
    });
    expect(out.file).toBeNull();
    expect(out.config.data_dir).toBe(join(cwd, '.warden'));
    expect(out.config.database.url).toBe(database);
    expect(out.database).toBe(database);
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
        'log.level: must be one of "fatal", "error", "warn", "info", "debug", "trace", "silent"',
      ]),
    );
  });

  it('a missing ${VAR} exits 2 naming the variable', async () => {
    const cwd = workDir();
    writeFileSync(join(cwd, 'warden.yaml'), 'secrets:\n  pepper: ${MISSING_PEPPER}\n');
    const out = await wardenJson(['config', 'check'], { cwd }, 2);
    expect(out.problems).toEqual(['secrets.pepper: environment variable MISSING_PEPPER is not set']);
  });

  it('a too-short WARDEN_PEPPER exits 2 naming the variable, and never echoes it', async () => {
    const cwd = workDir();
    const out = await wardenJson(['config', 'check'], { cwd, env: { WARDEN_PEPPER: 'short-pepper-xyz' } }, 2);
    expect(out.problems).toEqual(['WARDEN_PEPPER: too short, at least 32 characters are required']);
    expect(JSON.stringify(out)).not.toContain('short-pepper-xyz');
  });

  it('a value from a flag or an environment variable is reported under its name, one from the file under its path', async () => {
    const cwd = workDir();
    writeFileSync(join(cwd, 'warden.yaml'), 'server:\n  workers: 0\napi_keys:\n  cache:\n    ttl: soon\n');
    const run = await warden(['config', 'check', '--database', ''], { cwd, env: { WARDEN_PORT: '99999' } });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      [
        `error: invalid configuration (${join(cwd, 'warden.yaml')}):`,
        '  - WARDEN_PORT: must be at most 65535',
        '  - server.workers: must be at least 1',
        '  - --database: must not be empty',
        // The path is said once, not once more inside the message.
        '  - api_keys.cache.ttl: must be a duration like 500ms, 30s, 5m, 1h or 90d',
        '',
      ].join('\n'),
    );
  });

  it('a YAML syntax error shows the line and a caret under the column, exit 2', async () => {
    const cwd = workDir();
    writeFileSync(join(cwd, 'warden.yaml'), 'server:\n  host: 0.0.0.0\n  port: 80: 81\n');
    const run = await warden(['config', 'check'], { cwd });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      [
        `error: config file ${join(cwd, 'warden.yaml')} is not valid YAML: line 3, column 9: Nested mappings are not allowed in compact mappings`,
        '  3 |   port: 80: 81',
        '    |         ^',
        '',
      ].join('\n'),
    );
  });

  it('durations print as written (5m, not 300000), in text and in --json', async () => {
    const cwd = workDir();
    writeFileSync(join(cwd, 'warden.yaml'), 'api_keys:\n  cache:\n    ttl: 5m\n    negative_ttl: 1500\n');
    await makeStore(cwd);
    const run = await warden(['config', 'check'], { cwd });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('    ttl: 5m\n');
    expect(run.stdout).toContain('    negative_ttl: 1500ms\n');
    expect(run.stdout).toContain('    poll_interval: 250ms\n');
    expect(run.stdout).toContain('  query_timeout: 10s\n');
    expect(run.stdout).not.toContain('300000');
    const out = await wardenJson(['config', 'check'], { cwd });
    expect(out.config.api_keys.cache).toMatchObject({ ttl: '5m', negative_ttl: '1500ms' });
  });

  it('an unknown WARDEN_* variable is a warning with a did-you-mean; variables Warden reads are not', async () => {
    const cwd = workDir();
    const env = {
      WARDEN_DATADIR: join(cwd, 'data'),
      WARDEN_REQUIRE_POSTGRES: '1',
      WARDEN_CREDENTIALS: 'credentials.yaml',
      WARDEN_API_KEY: 'q7Vb2kXr9pLm4sTz8wNc1yHd6fGj3aRe5uKo0iWE',
    };
    const warning = 'WARDEN_DATADIR: unknown environment variable, ignored (did you mean WARDEN_DATA_DIR?)';
    await makeStore(cwd);
    const run = await warden(['config', 'check'], { cwd, env });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe(`warning: ${warning}\n`);
    // The variable was ignored, as the warning says.
    expect(run.stdout).toContain(`data_dir: ${join(cwd, '.warden')}\n`);
    const out = await wardenJson(['config', 'check'], { cwd, env });
    expect(out.warnings).toEqual([warning]);
  });

  it('a weak static key is a warning naming its label, never the key', async () => {
    const cwd = workDir();
    const weak = 'weak-static-key-0123';
    await makeStore(cwd);
    writeFileSync(join(cwd, 'warden.yaml'), `api_keys:\n  static:\n    ${weak}:\n      subject: ci\n`);
    const run = await warden(['config', 'check'], {
      cwd,
      env: { WARDEN_API_KEY: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' },
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr.split('\n')).toEqual([
      'warning: WARDEN_API_KEY: weak static API key (one pattern repeated); use a long random one, e.g. from openssl rand -base64 32',
      'warning: api_keys.static.[redacted]#1: weak static API key (shorter than 32 characters); use a long random one, e.g. from openssl rand -base64 32',
      '',
    ]);
    expect(run.stdout + run.stderr).not.toContain(weak);
    expect(run.stdout + run.stderr).not.toContain('aaaaaaaaaaaaaaaa');
  });

  it('a store that does not exist is refused (exit 2) naming it; a PostgreSQL database is not contacted', async () => {
    const cwd = workDir();
    // Run from the wrong directory: the configuration names a .warden/ that is not there.
    const refused = await wardenJson(['config', 'check'], { cwd }, 2);
    expect(refused.error).toBe('config_invalid');
    expect(refused.message).toMatch(
      new RegExp(`^no Warden store at sqlite:${join(cwd, '.warden', 'warden.db')}: the file does not exist; `),
    );
    expect(refused.message).toContain('config check uses an existing store and makes none');
    expect(refused.message).toContain('--data-dir DIR or --database URL');
    expect(existsSync(join(cwd, '.warden'))).toBe(false);
    // Where the store is, the same command answers, naming it.
    await makeStore(cwd);
    expect((await wardenJson(['config', 'check'], { cwd })).database).toBe(
      `sqlite:${join(cwd, '.warden', 'warden.db')}`,
    );
    const typo = await warden(['config', 'check', '--data-dir', '.wardn'], { cwd });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain(`error: no Warden store at sqlite:${join(cwd, '.wardn', 'warden.db')}: `);
    // validConfigDir names db.internal, which no test can reach: answered all the same (the first two tests).
  });

  it('--config names the file; a missing one exits 2', async () => {
    const cwd = workDir();
    writeFileSync(join(cwd, 'other.yaml'), 'server:\n  port: 7001\n');
    await makeStore(cwd);
    expect((await wardenJson(['config', 'check', '--config', 'other.yaml'], { cwd })).config.server.port).toBe(7001);
    const out = await wardenJson(['config', 'check', '--config', 'absent.yaml'], { cwd }, 2);
    expect(out.message).toBe(`config file ${join(cwd, 'absent.yaml')} does not exist`);
  });
});
