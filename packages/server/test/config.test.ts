import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { weakStaticKeyReason } from '../src/authn/static-api-key.js';
import { KNOWN_ENVIRONMENT_VARIABLES, unknownEnvironmentWarnings } from '../src/config/environment.js';
import { ConfigError } from '../src/config/errors.js';
import { loadConfig, parseConfig } from '../src/config/load.js';
import { printableConfig } from '../src/config/printable.js';
import { REDACTED, redactConfig } from '../src/config/redact.js';
import { createWarden } from '../src/engine.js';
import { loadServerSecrets, MIN_SECRET_LENGTH } from '../src/issue/server-secrets.js';
import { buildCli, REPO_ROOT, warden } from './helpers/cli.js';
import { createTestDatabase, type TestDatabase, tempDir, testDialects } from './helpers/databases.js';

const PEPPER_A = 'pepper-a-0123456789abcdefghijklmnopqrstuvwxyz';
const PEPPER_B = 'pepper-b-0123456789abcdefghijklmnopqrstuvwxyz';
const MASTER_KEY = 'master-key-0123456789abcdefghijklmnopqrstuvwxyz';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A fresh working directory, optionally holding a warden.yaml. */
function workDir(yaml?: string): string {
  const dir = tempDir('warden-config');
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  if (yaml !== undefined) writeFileSync(join(dir, 'warden.yaml'), yaml);
  return dir;
}

/** The ConfigError a function throws (fails the test if it throws something else or nothing). */
function configErrorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}

describe('defaults', () => {
  it('applies the documented defaults: .warden data dir, SQLite inside it, 127.0.0.1:8080', () => {
    const cwd = workDir();
    const { config, file } = loadConfig({}, {}, cwd);
    expect(file).toBeNull();
    expect(config.data_dir).toBe(join(cwd, '.warden'));
    expect(config.database.url).toBe(`sqlite:${join(cwd, '.warden', 'warden.db')}`);
    expect(config.server.host).toBe('127.0.0.1');
    expect(config.server.port).toBe(8080);
    expect(config.server.workers).toBe(1);
    expect(config.api_keys.prefix).toBe('wdn');
    expect(config.secrets).toEqual({});
  });

  it('reads the file named by WARDEN_CONFIG, and --config over WARDEN_CONFIG', () => {
    const cwd = workDir('server: { port: 1111 }\n');
    writeFileSync(join(cwd, 'env.yaml'), 'server: { port: 2222 }\n');
    writeFileSync(join(cwd, 'flag.yaml'), 'server: { port: 3333 }\n');
    expect(loadConfig({}, {}, cwd).config.server.port).toBe(1111);
    const fromEnv = loadConfig({}, { WARDEN_CONFIG: 'env.yaml' }, cwd);
    expect(fromEnv.file).toBe(join(cwd, 'env.yaml'));
    expect(fromEnv.config.server.port).toBe(2222);
    expect(loadConfig({ config: 'flag.yaml' }, { WARDEN_CONFIG: 'env.yaml' }, cwd).config.server.port).toBe(3333);
  });

  it('an explicit config file that does not exist is an error naming it', () => {
    const cwd = workDir();
    const error = configErrorOf(() => loadConfig({ config: 'nope.yaml' }, {}, cwd));
    expect(error.message).toBe(`config file ${join(cwd, 'nope.yaml')} does not exist`);
  });
});

describe('precedence: file < environment < flags', () => {
  const yaml = [
    'data_dir: from-file',
    'server:',
    '  host: 10.0.0.1',
    '  port: 1000',
    '  workers: 2',
    'database:',
    '  url: sqlite:/file.db',
    'log:',
    '  level: error',
    '',
  ].join('\n');
  const env = {
    WARDEN_DATA_DIR: 'from-env',
    WARDEN_HOST: '10.0.0.2',
    WARDEN_PORT: '2000',
    WARDEN_WORKERS: '3',
    WARDEN_DATABASE_URL: 'sqlite:/env.db',
    WARDEN_LOG_LEVEL: 'warn',
  };

  it('the file alone', () => {
    const cwd = workDir(yaml);
    const { config } = loadConfig({}, {}, cwd);
    expect(config.data_dir).toBe(join(cwd, 'from-file'));
    expect(config.server).toMatchObject({ host: '10.0.0.1', port: 1000, workers: 2 });
    expect(config.database.url).toBe('sqlite:/file.db');
    expect(config.log.level).toBe('error');
  });

  it('the environment overrides the file', () => {
    const cwd = workDir(yaml);
    const { config } = loadConfig({}, env, cwd);
    expect(config.data_dir).toBe(join(cwd, 'from-env'));
    expect(config.server).toMatchObject({ host: '10.0.0.2', port: 2000, workers: 3 });
    expect(config.database.url).toBe('sqlite:/env.db');
    expect(config.log.level).toBe('warn');
  });

  it('flags override the environment', () => {
    const cwd = workDir(yaml);
    const { config } = loadConfig(
      {
        dataDir: 'from-flag',
        host: '10.0.0.3',
        port: '3000',
        workers: '4',
        database: 'sqlite:/flag.db',
        logLevel: 'debug',
      },
      env,
      cwd,
    );
    expect(config.data_dir).toBe(join(cwd, 'from-flag'));
    expect(config.server).toMatchObject({ host: '10.0.0.3', port: 3000, workers: 4 });
    expect(config.database.url).toBe('sqlite:/flag.db');
    expect(config.log.level).toBe('debug');
  });

  it('an empty environment variable does not override the file', () => {
    const cwd = workDir(yaml);
    expect(loadConfig({}, { WARDEN_PORT: '' }, cwd).config.server.port).toBe(1000);
  });

  it('the default database follows the data directory wherever it was set', () => {
    const cwd = workDir('data_dir: from-file\n');
    expect(loadConfig({}, { WARDEN_DATA_DIR: 'from-env' }, cwd).config.database.url).toBe(
      `sqlite:${join(cwd, 'from-env', 'warden.db')}`,
    );
  });

  it('secrets come from WARDEN_PEPPER / WARDEN_MASTER_KEY over the file', () => {
    const cwd = workDir(`secrets:\n  pepper: ${PEPPER_A}\n  master_key: ${MASTER_KEY}\n`);
    const { config } = loadConfig({}, { WARDEN_PEPPER: PEPPER_B }, cwd);
    expect(config.secrets).toEqual({ pepper: PEPPER_B, master_key: MASTER_KEY });
  });

  it('a wrong WARDEN_PORT or --port is an error naming its source, not the path it sets', () => {
    const cwd = workDir();
    expect(configErrorOf(() => loadConfig({}, { WARDEN_PORT: 'http' }, cwd)).problems).toEqual([
      'WARDEN_PORT: must be a whole number, got "http"',
    ]);
    expect(configErrorOf(() => loadConfig({ port: '80.5' }, {}, cwd)).problems).toEqual([
      '--port: must be a whole number, got "80.5"',
    ]);
    // The flag wins over the variable, and is the one named; each source is named beside the others.
    expect(configErrorOf(() => loadConfig({ port: '99999' }, { WARDEN_PORT: '1' }, cwd)).problems).toEqual([
      '--port: must be at most 65535',
    ]);
    expect(
      configErrorOf(() => loadConfig({ logLevel: 'loud' }, { WARDEN_WORKERS: '0', WARDEN_DATA_DIR: 'd' }, cwd))
        .problems,
    ).toEqual([
      'WARDEN_WORKERS: must be at least 1',
      '--log-level: must be one of "fatal", "error", "warn", "info", "debug", "trace", "silent"',
    ]);
  });
});

describe('${VAR} interpolation', () => {
  it('replaces ${VAR} in values and in map keys, and ${VAR:-default} when unset', () => {
    const cwd = workDir(
      [
        'server:',
        '  host: ${HOST}',
        'database:',
        '  url: postgres://warden:${DB_PASSWORD}@${DB_HOST:-localhost}:5432/warden',
        'api_keys:',
        '  static:',
        '    ${STATIC_KEY}:',
        '      subject: ${SUBJECT:-ci}',
        '      roles: ["${ROLE}", fixed]',
        '',
      ].join('\n'),
    );
    const { config } = loadConfig(
      {},
      { HOST: '0.0.0.0', DB_PASSWORD: 's3cret', STATIC_KEY: 'static-key-value-123456', ROLE: 'deployer' },
      cwd,
    );
    expect(config.server.host).toBe('0.0.0.0');
    expect(config.database.url).toBe('postgres://warden:s3cret@localhost:5432/warden');
    expect(Object.keys(config.api_keys.static)).toEqual(['static-key-value-123456']);
    expect(config.api_keys.static['static-key-value-123456']).toMatchObject({
      subject: 'ci',
      roles: ['deployer', 'fixed'],
    });
  });

  it('a set variable wins over its default, even when set to the empty string', () => {
    const cwd = workDir('server:\n  host: "${HOST:-127.0.0.2}"\napi_keys:\n  prefix: wdn${SUFFIX:-x}\n');
    const { config } = loadConfig({}, { HOST: '10.1.1.1', SUFFIX: '' }, cwd);
    expect(config.server.host).toBe('10.1.1.1');
    expect(config.api_keys.prefix).toBe('wdn');
  });

  it('a missing variable is an error naming the variable and where it is used', () => {
    const cwd = workDir('database:\n  url: postgres://u:${DB_PASSWORD}@db/warden\n');
    const error = configErrorOf(() => loadConfig({}, {}, cwd));
    expect(error.problems).toEqual(['database.url: environment variable DB_PASSWORD is not set']);
    expect(error.message).toContain('DB_PASSWORD');
    expect(error.message).toContain(join(cwd, 'warden.yaml'));
  });

  it('every missing variable is reported, not only the first', () => {
    const cwd = workDir('server:\n  host: ${A_HOST}\nsecrets:\n  pepper: ${A_PEPPER}\n');
    expect(configErrorOf(() => loadConfig({}, {}, cwd)).problems).toEqual([
      'server.host: environment variable A_HOST is not set',
      'secrets.pepper: environment variable A_PEPPER is not set',
    ]);
  });

  it('numbers can come from variables (port: ${PORT:-9090})', () => {
    const cwd = workDir('server:\n  port: ${PORT:-9090}\n  workers: ${WORKERS}\n');
    const { config } = loadConfig({}, { WORKERS: '3' }, cwd);
    expect(config.server.port).toBe(9090);
    expect(config.server.workers).toBe(3);
    const bad = configErrorOf(() => loadConfig({}, { WORKERS: 'three' }, cwd));
    expect(bad.problems).toEqual(['server.workers: must be a whole number, got "three"']);
  });

  it('a value is interpolated once: a variable holding ${OTHER} is kept as is', () => {
    const cwd = workDir('server:\n  host: ${HOST}\n');
    expect(loadConfig({}, { HOST: '${OTHER}', OTHER: 'x' }, cwd).config.server.host).toBe('${OTHER}');
  });
});

describe('validation', () => {
  it('an unknown top-level key is an error with a did-you-mean', () => {
    const error = configErrorOf(() => parseConfig({ sever: {} }));
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(/^sever: unknown key \(did you mean "server"\?\); valid keys here: data_dir, /);
  });

  it('an unknown nested key names its full path and the closest known key', () => {
    const error = configErrorOf(() => parseConfig({ server: { prot: 80 }, api_keys: { cache: { tll: '5s' } } }));
    expect(error.problems).toEqual([
      'server.prot: unknown key (did you mean "port"?); valid keys here: host, port, workers, trusted_proxies, login_url, body_limit, tls',
      'api_keys.cache.tll: unknown key (did you mean "ttl"?); valid keys here: max_entries, ttl, negative_ttl, negative_max_entries',
    ]);
  });

  it('an unknown key far from every known one gets no did-you-mean', () => {
    const error = configErrorOf(() => parseConfig({ log: { colourful_output: true } }));
    expect(error.problems).toEqual(['log.colourful_output: unknown key; valid keys here: level']);
  });

  it('unknown keys inside a static key identity are found too (behind the record)', () => {
    const digest = `sha256:${createHash('sha256').update('k').digest('hex')}`;
    const error = configErrorOf(() => parseConfig({ api_keys: { static: { [digest]: { subject: 'a', scope: [] } } } }));
    expect(error.problems).toEqual([
      `api_keys.static.${digest}.scope: unknown key (did you mean "scopes"?); valid keys here: subject, subject_type, name, tenant, admin, roles, scopes, metadata`,
    ]);
  });

  it('problems under a plaintext static key never print the key itself', () => {
    const secretKey = 'plaintext-static-key-do-not-print';
    const error = configErrorOf(() =>
      parseConfig({ api_keys: { static: { [secretKey]: { subjet: 'a', admin: 'yes' } } } }),
    );
    expect(error.problems.length).toBe(3);
    for (const problem of error.problems) expect(problem).toMatch(/^api_keys\.static\.\[redacted\]#1\./);
    expect(error.message).not.toContain(secretKey);
    expect(error.problems.join('\n')).not.toContain(secretKey);
  });

  it('a missing variable under a plaintext static key does not print the key', () => {
    const secretKey = 'plaintext-static-key-do-not-print';
    const cwd = workDir(`api_keys:\n  static:\n    ${secretKey}:\n      subject: \${WHO}\n`);
    const error = configErrorOf(() => loadConfig({}, {}, cwd));
    expect(error.problems).toEqual(['api_keys.static.[redacted]#1.subject: environment variable WHO is not set']);
    expect(error.message).not.toContain(secretKey);
  });

  it.each([
    [{ server: { port: 'eighty' } }, 'server.port: must be a whole number, got "eighty"'],
    [{ server: { port: 70000 } }, 'server.port: must be at most 65535'],
    [{ server: { port: 80.5 } }, 'server.port: must be a whole number, got 80.5'],
    [{ server: { workers: 0 } }, 'server.workers: must be at least 1'],
    [{ server: { trusted_proxies: '10.0.0.0/8' } }, 'server.trusted_proxies: must be a list, got a string'],
    [{ server: null }, 'server: must be a mapping, got null'],
    [
      { log: { level: 'loud' } },
      'log.level: must be one of "fatal", "error", "warn", "info", "debug", "trace", "silent"',
    ],
    [{ api_keys: { prefix: 'WDN' } }, 'api_keys.prefix: must be 2-16 of [a-z0-9], starting with a letter'],
    [
      { api_keys: { static: { 'static-key-123456789': { subject: 'a', admin: 'yes' } } } },
      'api_keys.static.[redacted]#1.admin: must be true or false, got a string',
    ],
    [{ api_keys: { static: { 'static-key-123456789': {} } } }, 'api_keys.static.[redacted]#1.subject: is required'],
    [{ data_dir: '' }, 'data_dir: must not be empty'],
    [{ server: { body_limit: 10 } }, 'server.body_limit: must be at least 1024'],
  ])('wrong type or value %j is reported as %s', (input, problem) => {
    expect(configErrorOf(() => parseConfig(input as never)).problems).toEqual([problem]);
  });

  it('a top level that is not a mapping is an error', () => {
    const cwd = workDir('- a\n- b\n');
    expect(configErrorOf(() => loadConfig({}, {}, cwd)).message).toBe(
      `config file ${join(cwd, 'warden.yaml')} must hold a mapping at the top level`,
    );
  });

  it('invalid YAML is an error naming the file', () => {
    const cwd = workDir('server: {port: 80\n');
    expect(configErrorOf(() => loadConfig({}, {}, cwd)).message).toMatch(
      new RegExp(`^config file ${join(cwd, 'warden.yaml')} is not valid YAML: `),
    );
  });

  it('invalid YAML shows the line with a caret under the column, and the line before when that one is blank', () => {
    const indented = configErrorOf(() => loadConfig({}, {}, workDir('log:\n  level: info\n   extra: x\n')));
    expect(indented.problems).toEqual(['line 2, column 10: Nested mappings are not allowed in compact mappings']);
    expect(indented.message.split('\n').slice(1)).toEqual(['  2 |   level: info', '    |          ^']);
    const unclosed = configErrorOf(() => loadConfig({}, {}, workDir('server: {port: 80\n')));
    expect(unclosed.message.split('\n').slice(1)).toEqual(['  1 | server: {port: 80', '  2 |', '    | ^']);
    // A tab before the column is kept under it, so that the caret lands right whatever the tab width.
    const tabbed = configErrorOf(() => loadConfig({}, {}, workDir('log:\t[1, 2]]\n')));
    expect(tabbed.message.split('\n').slice(1)).toEqual(['  1 | log:\t[1, 2]]', '    |     \t      ^']);
  });

  it.each([
    ['secrets:\n  pepper: "pepper-do-not-print-0123456789abc\n', 'pepper-do-not-print'],
    ['database:\n  url: postgres://u:db-pass-do-not-print@db/w: [\n', 'db-pass-do-not-print'],
    ['api_keys:\n  static:\n    key-do-not-print-0123456789: [\n', 'key-do-not-print'],
    ['api_keys:\n  prefix: wdn\n  static:\n    key-do-not-print-0123456789: a: b\n', 'key-do-not-print'],
  ])('a YAML error on a line that may hold a secret does not show it (%j)', (yaml, secret) => {
    const error = configErrorOf(() => loadConfig({}, {}, workDir(yaml)));
    expect(error.message).toMatch(/is not valid YAML: line \d+, column \d+: /);
    expect(error.message).not.toContain(secret);
  });
});

describe('rules held by the schema: secret lengths and trusted proxies', () => {
  const rule = 'too short, at least 32 characters are required';

  it(`a pepper shorter than ${MIN_SECRET_LENGTH} characters is reported at secrets.pepper, without its value`, () => {
    const shortPepper = 'short-pepper-do-not-print';
    const error = configErrorOf(() => parseConfig({ secrets: { pepper: shortPepper, master_key: MASTER_KEY } }));
    expect(error.problems).toEqual([`secrets.pepper: ${rule}`]);
    expect(error.message).toBe(`invalid configuration:\n  - secrets.pepper: ${rule}`);
    expect(JSON.stringify(error)).not.toContain(shortPepper);
    expect(error.message).not.toContain(shortPepper);
  });

  it('both secrets too short (an empty one too) are both reported, each with its path', () => {
    const error = configErrorOf(() => parseConfig({ secrets: { pepper: '', master_key: 'm'.repeat(31) } }));
    expect(error.problems).toEqual([`secrets.pepper: ${rule}`, `secrets.master_key: ${rule}`]);
  });

  it(`exactly ${MIN_SECRET_LENGTH} characters is valid`, () => {
    const pepper = 'p'.repeat(MIN_SECRET_LENGTH);
    expect(parseConfig({ secrets: { pepper } }).secrets.pepper).toBe(pepper);
  });

  it('a short pepper from a ${VAR} in the file is reported at its path and never echoed', () => {
    const cwd = workDir('secrets:\n  pepper: ${MY_PEPPER}\n');
    const error = configErrorOf(() => loadConfig({}, { MY_PEPPER: 'tiny-secret-value' }, cwd));
    expect(error.problems).toEqual([`secrets.pepper: ${rule}`]);
    expect(error.message).toBe(`invalid configuration (${join(cwd, 'warden.yaml')}):\n  - secrets.pepper: ${rule}`);
    expect(error.message).not.toContain('tiny-secret-value');
  });

  it('invalid server.trusted_proxies entries are reported with their index, valid ones pass', () => {
    const error = configErrorOf(() =>
      parseConfig({
        server: {
          trusted_proxies: ['10.0.0.1', '10.0.0.0/33', 'not-an-ip', '::1/129', '10.0.0.0/', '1.2.3.4/8/9', 'fd00::/8'],
        },
      }),
    );
    expect(error.problems).toEqual([
      'server.trusted_proxies.1: 10.0.0.0/33 is not an IP or CIDR: the prefix length of an IPv4 CIDR is 0 to 32',
      'server.trusted_proxies.2: not-an-ip is not an IP or CIDR',
      'server.trusted_proxies.3: ::1/129 is not an IP or CIDR: the prefix length of an IPv6 CIDR is 0 to 128',
      'server.trusted_proxies.4: 10.0.0.0/ is not an IP or CIDR: the prefix length of an IPv4 CIDR is 0 to 32',
      'server.trusted_proxies.5: 1.2.3.4/8/9 is not an IP or CIDR',
    ]);
    const ok = ['10.0.0.1', '10.0.0.0/8', '0.0.0.0/0', '::1', '::1/128', 'fd00::/8', '::ffff:10.0.0.1', '::/0'];
    expect(parseConfig({ server: { trusted_proxies: ok } }).server.trusted_proxies).toEqual(ok);
    expect(parseConfig({ server: { trusted_proxies: [] } }).server.trusted_proxies).toEqual([]);
  });

  it('a short secret and a bad proxy are reported together, as every other problem is', () => {
    const cwd = workDir('server:\n  trusted_proxies: [10.0.0.0/8, not-an-ip]\n  port: 99999\n');
    const error = configErrorOf(() => loadConfig({}, { WARDEN_PEPPER: 'short-pepper-xyz' }, cwd));
    expect(error.problems).toEqual([
      'server.port: must be at most 65535',
      'server.trusted_proxies.1: not-an-ip is not an IP or CIDR',
      `WARDEN_PEPPER: ${rule}`,
    ]);
    expect(error.message).not.toContain('short-pepper-xyz');
  });
});

describe('warden config check (the built CLI)', () => {
  beforeAll(buildCli, 180_000);

  it('reports a short WARDEN_PEPPER and a bad trusted proxy with their paths, exit 2, never echoing the pepper', async () => {
    const cwd = workDir('server:\n  trusted_proxies: [127.0.0.1/8, 10.0.0.0/33]\n');
    const run = await warden(['config', 'check', '--json'], { cwd, env: { WARDEN_PEPPER: 'short-pepper-xyz' } });
    expect(run.code).toBe(2);
    const out = JSON.parse(run.stdout);
    expect(out.error).toBe('config_invalid');
    expect(out.problems).toEqual([
      'server.trusted_proxies.1: 10.0.0.0/33 is not an IP or CIDR: the prefix length of an IPv4 CIDR is 0 to 32',
      'WARDEN_PEPPER: too short, at least 32 characters are required',
    ]);
    expect(run.stdout + run.stderr).not.toContain('short-pepper-xyz');
  });
});

describe('durations', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['90d', 7_776_000_000],
    ['2w', 1_209_600_000],
    [1500, 1500],
  ])('%j is %d ms', (text, ms) => {
    expect(parseConfig({ api_keys: { cache: { ttl: text } } }).api_keys.cache.ttl).toBe(ms);
  });

  it.each(['5', '1.5h', '-1s', '5 minutes', 'h', '', '10y'])('%j is not a duration (the path said once)', (text) => {
    expect(configErrorOf(() => parseConfig({ api_keys: { cache: { ttl: text } } })).problems).toEqual([
      'api_keys.cache.ttl: must be a duration like 500ms, 30s, 5m, 1h or 90d',
    ]);
  });

  it('duration defaults are in milliseconds', () => {
    const { api_keys } = parseConfig({});
    expect(api_keys.cache.ttl).toBe(300_000);
    expect(api_keys.invalidation.poll_interval).toBe(250);
    expect(api_keys.default_expires_in).toBeUndefined();
  });
});

describe('printed durations', () => {
  it('print as written: the largest unit that holds them exactly', () => {
    const printed = printableConfig(
      parseConfig({ api_keys: { cache: { ttl: '5m', negative_ttl: 1500 }, default_expires_in: '90d' } }),
    ) as { api_keys: { cache: Record<string, unknown>; default_expires_in: unknown; invalidation: unknown } };
    expect(printed.api_keys.cache).toMatchObject({ ttl: '5m', negative_ttl: '1500ms', max_entries: 100_000 });
    expect(printed.api_keys.default_expires_in).toBe('90d');
    expect(printed.api_keys.invalidation).toEqual({ poll_interval: '250ms' });
    // What is printed reads back as the same configuration.
    expect(parseConfig(printed as never).api_keys.cache.ttl).toBe(300_000);
  });
});

describe('warnings', () => {
  it('an unknown WARDEN_* variable is a warning with the known one it resembles; others are left alone', () => {
    const cwd = workDir();
    const { warnings } = loadConfig(
      {},
      { WARDEN_DATADIR: '/x', WARDEN_SHINY: '1', WARDEN_PORT: '8081', WARDENS: '1', HOME: '/root' },
      cwd,
    );
    expect(warnings).toEqual([
      'WARDEN_DATADIR: unknown environment variable, ignored (did you mean WARDEN_DATA_DIR?)',
      'WARDEN_SHINY: unknown environment variable, ignored',
    ]);
  });

  it('every WARDEN_* name the repository uses is known (the SDK, the CLI, the tests, CI scripts)', () => {
    const skipped = new Set(['node_modules', 'dist', '.git', '.warden', 'coverage', 'results']);
    const names = new Set<string>();
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (skipped.has(entry.name)) continue;
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        // Test files are left out: they make up unknown names on purpose (WARDEN_DATADIR).
        else if (entry.isFile() && !entry.name.endsWith('.test.ts') && statSync(path).size < 1_000_000) {
          for (const match of readFileSync(path, 'utf8').matchAll(/\bWARDEN_[A-Z0-9_]*[A-Z0-9]\b/g))
            names.add(match[0]);
        }
      }
    };
    walk(REPO_ROOT);
    expect(names).toContain('WARDEN_REQUIRE_POSTGRES');
    expect(names).toContain('WARDEN_CREDENTIALS');
    expect([...names].filter((name) => !KNOWN_ENVIRONMENT_VARIABLES.includes(name))).toEqual([]);
    expect(unknownEnvironmentWarnings(Object.fromEntries([...names].map((name) => [name, '1'])))).toEqual([]);
  });

  it.each([
    ['x'.repeat(16), 'shorter than 32 characters'],
    ['Ab3$'.repeat(10), 'one pattern repeated'],
    ['aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab', 'low entropy: a few characters repeated'],
    // 38 digits hold 126 bits at best.
    ['31415926535897932384626433832795028841', 'low entropy: too few kinds of characters'],
    ['q7Vb2kXr9pLm4sTz8wNc1yHd6fGj3aRe5uKo0iWE', null],
    // openssl rand -hex 16 and -base64 32 outputs pass.
    ['9f86d081884c7d659a2feaa0c55ad015', null],
    ['n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=', null],
  ])('static key %s is weak: %s', (key, reason) => {
    expect(weakStaticKeyReason(key)).toBe(reason);
  });

  it('a weak static key warns by its label or by where it came from, never quoting it', () => {
    const weakInFile = 'weak-static-key-in-file-1';
    const cwd = workDir(`api_keys:\n  static:\n    ${weakInFile}:\n      subject: ci\n`);
    const weakSingle = 'weak-single-key-0123';
    const { warnings } = loadConfig({}, { WARDEN_API_KEY: weakSingle }, cwd);
    expect(warnings).toEqual([
      'WARDEN_API_KEY: weak static API key (shorter than 32 characters); use a long random one, e.g. from openssl rand -base64 32',
      'api_keys.static.[redacted]#1: weak static API key (shorter than 32 characters); use a long random one, e.g. from openssl rand -base64 32',
    ]);
    const strong = 'q7Vb2kXr9pLm4sTz8wNc1yHd6fGj3aRe5uKo0iWE';
    expect(loadConfig({ apiKey: strong }, {}, workDir()).warnings).toEqual([]);
  });
});

describe('the loaded configuration is frozen', () => {
  it('deeply: top level, sections, arrays and static key identities', () => {
    const cwd = workDir('api_keys:\n  static:\n    static-key-123456789:\n      subject: a\n      roles: [r]\n');
    const { config } = loadConfig({}, {}, cwd);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.server)).toBe(true);
    expect(Object.isFrozen(config.server.trusted_proxies)).toBe(true);
    expect(Object.isFrozen(config.api_keys.cache)).toBe(true);
    expect(Object.isFrozen(config.api_keys.static['static-key-123456789']!.roles)).toBe(true);
    expect(() => {
      (config.server as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(() => {
      (config.server.trusted_proxies as string[]).push('0.0.0.0/0');
    }).toThrow(TypeError);
    expect(config.server.port).toBe(8080);
  });
});

describe('redaction', () => {
  const secretKey = 'plaintext-static-key-abcdef-123456';
  const hashed = `sha256:${createHash('sha256').update('other key').digest('hex')}`;

  interface Printed {
    secrets: Record<string, unknown>;
    database: { url: string };
    api_keys: { static: Record<string, unknown> };
  }
  function printed(input: Record<string, unknown>): { text: string; redacted: Printed } {
    const redacted = redactConfig(parseConfig(input)) as unknown as Printed;
    return { text: JSON.stringify(redacted), redacted };
  }

  it('prints pepper, master key, the database password and plaintext static keys as [redacted]', () => {
    const { text, redacted } = printed({
      secrets: { pepper: PEPPER_A, master_key: MASTER_KEY },
      database: { url: 'postgres://warden:db-password-xyz@db.internal:5432/warden' },
      api_keys: { static: { [secretKey]: { subject: 'ci', admin: true }, [hashed]: { subject: 'ops' } } },
    });
    expect(redacted.secrets).toEqual({ pepper: REDACTED, master_key: REDACTED });
    expect(redacted.database.url).toBe('postgres://warden:[redacted]@db.internal:5432/warden');
    expect(Object.keys(redacted.api_keys.static)).toEqual(['[redacted]#1', hashed]);
    expect(redacted.api_keys.static['[redacted]#1']).toMatchObject({ subject: 'ci', admin: true });
    for (const secret of [PEPPER_A, MASTER_KEY, 'db-password-xyz', secretKey]) expect(text).not.toContain(secret);
  });

  it.each([
    ['postgres://:only-password-1@db/warden', 'postgres://:[redacted]@db/warden'],
    ['postgres://u:p%40ss-word-2@db/warden', 'postgres://u:[redacted]@db/warden'],
    [
      'postgres://u@db/warden?password=query-password-3&sslmode=require',
      'postgres://u@db/warden?password=[redacted]&sslmode=require',
    ],
    ['postgres://db/warden', 'postgres://db/warden'],
    ['sqlite:/var/lib/warden/warden.db', 'sqlite:/var/lib/warden/warden.db'],
  ])('database url %s prints as %s', (url, expected) => {
    expect(printed({ database: { url } }).redacted.database.url).toBe(expected);
  });

  it('a plaintext static key that merely starts with "sha256:" is still redacted', () => {
    const { text } = printed({ api_keys: { static: { 'sha256:not-a-digest-secret': { subject: 'a' } } } });
    expect(text).not.toContain('not-a-digest-secret');
  });

  it('single-key mode (--api-key / WARDEN_API_KEY) is an admin static key held as its digest only', () => {
    const cwd = workDir();
    const key = 'single-mode-key-0123456789';
    const digest = `sha256:${createHash('sha256').update(key).digest('hex')}`;
    for (const loaded of [loadConfig({ apiKey: key }, {}, cwd), loadConfig({}, { WARDEN_API_KEY: key }, cwd)]) {
      expect(Object.keys(loaded.config.api_keys.static)).toEqual([digest]);
      expect(loaded.config.api_keys.static[digest]).toMatchObject({ subject: 'admin', admin: true });
      expect(JSON.stringify(loaded)).not.toContain(key);
    }
    // A problem names where the key came from.
    expect(configErrorOf(() => loadConfig({}, { WARDEN_API_KEY: 'short' }, cwd)).message).toBe(
      'WARDEN_API_KEY: must be at least 16 characters',
    );
    expect(configErrorOf(() => loadConfig({ apiKey: '' }, { WARDEN_API_KEY: key }, cwd)).message).toBe(
      '--api-key: must be at least 16 characters',
    );
  });

  it('a static key in the file shorter than 16 characters is refused, without printing it', () => {
    const error = configErrorOf(() => parseConfig({ api_keys: { static: { tiny_secret: { subject: 'a' } } } }));
    expect(error.problems).toEqual(['api_keys.static.[redacted]#1: a static API key must be at least 16 characters']);
    expect(error.message).not.toContain('tiny_secret');
  });

  it('a static key shaped like a JWT is refused (a Bearer JWT goes to the JWT authenticator), without printing it', () => {
    const jwtShaped = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXZhbHVl';
    const error = configErrorOf(() => parseConfig({ api_keys: { static: { [jwtShaped]: { subject: 'a' } } } }));
    expect(error.problems).toEqual([
      'api_keys.static.[redacted]#1: a static API key must not have the shape of a JWT (eyJ….….…)',
    ]);
    expect(error.message).not.toContain(jwtShaped);
    expect(configErrorOf(() => loadConfig({ apiKey: jwtShaped }, {}, process.cwd())).message).toBe(
      '--api-key: must not have the shape of a JWT (eyJ….….…)',
    );
  });

  it('does not change the frozen configuration it prints', () => {
    const config = parseConfig({ secrets: { pepper: PEPPER_A } });
    redactConfig(config);
    expect(config.secrets.pepper).toBe(PEPPER_A);
  });
});

describe('server secrets', () => {
  it(`a pepper or master key shorter than ${MIN_SECRET_LENGTH} characters given by env is a configuration error`, async () => {
    const cwd = workDir();
    const dataDir = join(cwd, 'data');
    const shortPepper = 'x'.repeat(MIN_SECRET_LENGTH - 1);
    const pepperError = configErrorOf(() => loadConfig({ dataDir }, { WARDEN_PEPPER: shortPepper }, cwd));
    // Named by the variable that gave it: that is what to fix.
    expect(pepperError.message).toBe(
      'invalid configuration:\n  - WARDEN_PEPPER: too short, at least 32 characters are required',
    );
    expect(pepperError.problems).toEqual(['WARDEN_PEPPER: too short, at least 32 characters are required']);
    const masterError = configErrorOf(() => loadConfig({ dataDir }, { WARDEN_MASTER_KEY: 'short' }, cwd));
    expect(masterError.problems).toEqual(['WARDEN_MASTER_KEY: too short, at least 32 characters are required']);
    // createWarden parses its configuration with the same schema: a short secret stops it before anything is written.
    await expect(
      createWarden({ config: { data_dir: dataDir, secrets: { pepper: shortPepper } } }),
    ).rejects.toMatchObject({
      message: 'invalid configuration:\n  - secrets.pepper: too short, at least 32 characters are required',
      problems: ['secrets.pepper: too short, at least 32 characters are required'],
    });
    await expect(
      createWarden({ config: { data_dir: dataDir, secrets: { pepper: shortPepper } } }),
    ).rejects.toBeInstanceOf(ConfigError);
    expect(() => statSync(dataDir)).toThrow(/ENOENT/);
  });

  it('loadServerSecrets holds configured values to the schema too, naming the path', () => {
    const dataDir = join(workDir(), 'data');
    const error = configErrorOf(() => loadServerSecrets({ master_key: 'm'.repeat(MIN_SECRET_LENGTH - 1) }, dataDir));
    expect(error.problems).toEqual(['secrets.master_key: too short, at least 32 characters are required']);
    expect(error.message).not.toContain('m'.repeat(MIN_SECRET_LENGTH - 1));
  });

  it(`exactly ${MIN_SECRET_LENGTH} characters is enough, and then no files are written`, () => {
    const dataDir = join(workDir(), 'data');
    const secrets = loadServerSecrets(
      { pepper: 'p'.repeat(MIN_SECRET_LENGTH), master_key: 'm'.repeat(MIN_SECRET_LENGTH) },
      dataDir,
    );
    expect(secrets.sources).toEqual({ pepper: 'configuration', masterKey: 'configuration' });
    expect(secrets.pepper.toString()).toBe('p'.repeat(MIN_SECRET_LENGTH));
    expect(secrets.masterKey).toHaveLength(32);
    expect(() => statSync(join(dataDir, 'pepper'))).toThrow(/ENOENT/);
  });

  it('generated secrets are written once with mode 0600 and read back the same', () => {
    const dataDir = join(workDir(), 'data');
    const first = loadServerSecrets({}, dataDir);
    expect(first.sources).toEqual({ pepper: join(dataDir, 'pepper'), masterKey: join(dataDir, 'master.key') });
    expect(statSync(join(dataDir, 'pepper')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dataDir, 'master.key')).mode & 0o777).toBe(0o600);
    expect(first.pepper.length).toBeGreaterThanOrEqual(MIN_SECRET_LENGTH);
    expect(first.pepper.equals(first.masterKey)).toBe(false);
    const second = loadServerSecrets({}, dataDir);
    expect(second.pepper.equals(first.pepper)).toBe(true);
    expect(second.masterKey.equals(first.masterKey)).toBe(true);
  });

  it('a truncated pepper file is a startup error, not silently used', () => {
    const dataDir = join(workDir(), 'data');
    loadServerSecrets({}, dataDir);
    writeFileSync(join(dataDir, 'pepper'), 'short\n');
    expect(configErrorOf(() => loadServerSecrets({}, dataDir)).message).toBe(
      `${join(dataDir, 'pepper')} is too short: at least 32 characters are required`,
    );
  });
});

describe('pepper fingerprint', async () => {
  const dialects = await testDialects();
  let database: TestDatabase | null = null;
  afterEach(async () => {
    await database?.drop();
    database = null;
  });

  it.each(dialects)('a second pepper on the same database refuses to start (%s)', async (dialect) => {
    database = await createTestDatabase(dialect);
    const config = (pepper: string) => ({
      data_dir: database!.dataDir,
      database: { url: database!.url },
      secrets: { pepper, master_key: MASTER_KEY },
      log: { level: 'silent' as const },
    });
    const first = await createWarden({ config: config(PEPPER_A), background: false });
    const { key } = await first.keys.create({ subject: 'svc' }, { actor: 'test' });
    await first.close();

    const mismatch = createWarden({ config: config(PEPPER_B), background: false });
    await expect(mismatch).rejects.toBeInstanceOf(ConfigError);
    await expect(createWarden({ config: config(PEPPER_B), background: false })).rejects.toThrow(
      /^the pepper differs from the one this database was first used with/,
    );

    // The original pepper still starts, and the key made with it still verifies.
    const again = await createWarden({ config: config(PEPPER_A), background: false });
    try {
      const result = await again.keys.verify(key);
      expect(result.ok).toBe(true);
    } finally {
      await again.close();
    }
  });

  it.each(dialects)('a generated pepper, then a different one by env, refuses to start (%s)', async (dialect) => {
    database = await createTestDatabase(dialect);
    const base = { data_dir: database.dataDir, database: { url: database.url }, log: { level: 'silent' as const } };
    const generated = await createWarden({ config: base, background: false });
    await generated.close();
    await expect(
      createWarden({ config: { ...base, secrets: { pepper: PEPPER_B } }, background: false }),
    ).rejects.toBeInstanceOf(ConfigError);
  });
});
