import { createHash } from 'node:crypto';
import { rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../src/config/errors.js';
import { loadConfig, parseConfig } from '../src/config/load.js';
import { REDACTED, redactConfig } from '../src/config/redact.js';
import { createWarden } from '../src/engine.js';
import { loadServerSecrets, MIN_SECRET_LENGTH } from '../src/issue/server-secrets.js';
import { buildCli, warden } from './helpers/cli.js';
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

  it('a non-numeric WARDEN_PORT or --port is an error naming its source', () => {
    const cwd = workDir();
    expect(configErrorOf(() => loadConfig({}, { WARDEN_PORT: 'http' }, cwd)).message).toBe(
      'WARDEN_PORT must be a whole number, got "http"',
    );
    expect(configErrorOf(() => loadConfig({ port: '80.5' }, {}, cwd)).message).toBe(
      '--port must be a whole number, got "80.5"',
    );
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
    expect(bad.problems).toEqual(['server.workers: expected a whole number, got "three"']);
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
      'server.prot: unknown key (did you mean "port"?); valid keys here: host, port, workers, trusted_proxies, body_limit',
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
    [{ server: { port: 'eighty' } }, 'server.port: expected a whole number, got "eighty"'],
    [{ server: { port: 70000 } }, 'server.port: Too big: expected number to be <=65535'],
    [{ server: { port: 80.5 } }, 'server.port: Invalid input: expected int, received number'],
    [{ server: { workers: 0 } }, 'server.workers: Too small: expected number to be >=1'],
    [
      { server: { trusted_proxies: '10.0.0.0/8' } },
      'server.trusted_proxies: Invalid input: expected array, received string',
    ],
    [
      { log: { level: 'loud' } },
      'log.level: Invalid option: expected one of "fatal"|"error"|"warn"|"info"|"debug"|"trace"|"silent"',
    ],
    [{ api_keys: { prefix: 'WDN' } }, 'api_keys.prefix: prefix must be 2-16 of [a-z0-9], starting with a letter'],
    [
      { api_keys: { static: { 'static-key-123456789': { subject: 'a', admin: 'yes' } } } },
      'api_keys.static.[redacted]#1.admin: Invalid input: expected boolean, received string',
    ],
    [{ data_dir: '' }, 'data_dir: Too small: expected string to have >=1 characters'],
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
      'server.port: Too big: expected number to be <=65535',
      'server.trusted_proxies.1: not-an-ip is not an IP or CIDR',
      `secrets.pepper: ${rule}`,
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
      'secrets.pepper: too short, at least 32 characters are required',
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

  it.each(['5', '1.5h', '-1s', '5 minutes', 'h', '', '10y'])('%j is not a duration', (text) => {
    expect(configErrorOf(() => parseConfig({ api_keys: { cache: { ttl: text } } })).problems).toEqual([
      'api_keys.cache.ttl: api_keys.cache.ttl must be a duration like 500ms, 30s, 5m, 1h or 90d',
    ]);
  });

  it('duration defaults are in milliseconds', () => {
    const { api_keys } = parseConfig({});
    expect(api_keys.cache.ttl).toBe(300_000);
    expect(api_keys.invalidation.poll_interval).toBe(250);
    expect(api_keys.default_expires_in).toBeUndefined();
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

  it('single-key mode (--api-key / WARDEN_API_KEY) is a redacted admin static key', () => {
    const cwd = workDir();
    const key = 'single-mode-key-0123456789';
    const { config } = loadConfig({ apiKey: key }, {}, cwd);
    expect(config.api_keys.static[key]).toMatchObject({ subject: 'admin', admin: true });
    expect(JSON.stringify(redactConfig(config))).not.toContain(key);
    expect(configErrorOf(() => loadConfig({}, { WARDEN_API_KEY: 'short' }, cwd)).message).toBe(
      '--api-key must be at least 16 characters',
    );
  });

  it('a static key in the file shorter than 16 characters is refused, without printing it', () => {
    const error = configErrorOf(() => parseConfig({ api_keys: { static: { tiny_secret: { subject: 'a' } } } }));
    expect(error.problems).toEqual(['api_keys.static.[redacted]#1: a static API key must be at least 16 characters']);
    expect(error.message).not.toContain('tiny_secret');
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
    expect(pepperError.message).toBe(
      'invalid configuration:\n  - secrets.pepper: too short, at least 32 characters are required',
    );
    expect(pepperError.problems).toEqual(['secrets.pepper: too short, at least 32 characters are required']);
    const masterError = configErrorOf(() => loadConfig({ dataDir }, { WARDEN_MASTER_KEY: 'short' }, cwd));
    expect(masterError.problems).toEqual(['secrets.master_key: too short, at least 32 characters are required']);
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
