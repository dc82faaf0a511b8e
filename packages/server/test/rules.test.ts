import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../src/config/errors.js';
import { parseConfig } from '../src/config/load.js';
import { globsCanOverlap, globToRegExp, HOST_GLOB, PATH_GLOB } from '../src/rules/glob.js';
import { normalizeHost, normalizePath } from '../src/rules/normalize-path.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { testDialects } from './helpers/databases.js';
import { lastCharacterChanged } from './helpers/requests.js';

const dialects = await testDialects();

/** A small deterministic generator (mulberry32): the property tests below are the same on every run. */
function random(seed: number) {
  let state = seed;
  const next = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, pick: <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]! };
}

const problemsOf = (config: unknown): string[] => {
  try {
    parseConfig(config as never);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};

describe('globs', () => {
  it('* stays within a host label or path segment, ** crosses them; hosts match case-insensitively', () => {
    const host = globToRegExp('*.b.example.com', HOST_GLOB);
    expect(host.test('a.b.example.com')).toBe(true);
    expect(host.test('x.a.b.example.com')).toBe(false);
    expect(globToRegExp('**.example.com', HOST_GLOB).test('x.a.b.example.com')).toBe(true);
    const path = globToRegExp('/orders/*', PATH_GLOB);
    expect(path.test('/orders/42')).toBe(true);
    expect(path.test('/orders/42/items')).toBe(false);
    expect(globToRegExp('/orders/**', PATH_GLOB).test('/orders/42/items')).toBe(true);
    expect(globToRegExp('/a.b', PATH_GLOB).test('/aXb')).toBe(false);
  });

  it('overlap: two globs that share a string overlap, others do not', () => {
    const cases: [string, string, boolean][] = [
      ['/orders/**', '/orders/*', true],
      ['/orders/*', '/orders/*/items', false],
      ['/orders/**', '/billing/**', false],
      ['/a/*/c', '/a/b/*', true],
      ['/**', '/health', true],
      ['/health', '/healthz', false],
      ['/x*', '/*y', true],
      ['/x/*', '/*/y/z', false],
    ];
    for (const [a, b, expected] of cases) {
      expect(globsCanOverlap(a, b, PATH_GLOB), `${a} ${b}`).toBe(expected);
      expect(globsCanOverlap(b, a, PATH_GLOB), `${b} ${a}`).toBe(expected);
    }
    expect(globsCanOverlap('*.example.com', 'api.*.com', HOST_GLOB)).toBe(true);
    expect(globsCanOverlap('*.example.com', '*.example.org', HOST_GLOB)).toBe(false);
  });

  it('property: when overlap says no, no generated string matches both', () => {
    const rng = random(7);
    const pieces = ['a', 'b', '/', '*', '**', 'ab'];
    const alphabet = ['a', 'b', '/', 'ab', 'ba'];
    for (let n = 0; n < 300; n++) {
      const glob = () => `/${Array.from({ length: 1 + Math.floor(rng.next() * 4) }, () => rng.pick(pieces)).join('')}`;
      const [a, b] = [glob(), glob()];
      if (globsCanOverlap(a, b, PATH_GLOB)) continue;
      const [ra, rb] = [globToRegExp(a, PATH_GLOB), globToRegExp(b, PATH_GLOB)];
      for (let m = 0; m < 200; m++) {
        const text = `/${Array.from({ length: Math.floor(rng.next() * 6) }, () => rng.pick(alphabet)).join('')}`;
        expect(ra.test(text) && rb.test(text), `${a} and ${b} both match ${text}`).toBe(false);
      }
    }
  });
});

describe('the path and host normalizer', () => {
  it('SECURITY.md #46: dot segments, encodings, parameters and doubled slashes give the path the upstream serves', () => {
    const cases: [string, string | null][] = [
      ['/public/../admin', '/admin'],
      ['/public/%2e%2e/admin', '/admin'],
      ['/public/%2E%2e/admin', '/admin'],
      ['/public/.%2e/admin', '/admin'],
      ['/public;x=1/../admin', '/admin'],
      ['/admin;jsessionid=abc', '/admin'],
      ['//admin', '/admin'],
      ['/public//..//admin/', '/admin/'],
      ['/./admin/.', '/admin/'],
      ['/%61dmin', '/admin'],
      ['/admin?x=/public', '/admin'],
      ['/admin#/public', '/admin'],
      ['/a/b/..', '/a/'],
      ['/', '/'],
      // Malformed: no rule can know what the upstream would do with these.
      ['/..', null],
      ['/public/../../admin', null],
      ['/admin%2Fx', null],
      ['/admin%5cx', null],
      ['/admin\\x', null],
      ['/%252e%252e/admin', null],
      ['/bad%zz', null],
      ['/bad%c3', null],
      ['/nul%00', null],
      ['/line%0abreak', null],
      ['relative', null],
      ['', null],
    ];
    for (const [input, expected] of cases) expect(normalizePath(input), input).toBe(expected);
  });

  it('property: normalizing is idempotent, leaves no dot segment, parameter or empty segment, and spellings agree', () => {
    const rng = random(46);
    const plain = ['a', 'b', 'admin', 'public', 'x.y'];
    const spell = (segment: string) =>
      rng.next() < 0.3 ? segment.replace(/[a-z]/, (char) => `%${char.charCodeAt(0).toString(16)}`) : segment;
    for (let n = 0; n < 2000; n++) {
      const segments = Array.from({ length: Math.floor(rng.next() * 7) }, () =>
        rng.pick([...plain, '.', '..', '%2e', '%2e%2e', '', 'p;q=1']),
      );
      const path = `/${segments.map(spell).join('/')}`;
      const normalized = normalizePath(path);
      if (normalized === null) continue;
      expect(normalizePath(normalized), path).toBe(normalized);
      const parts = normalized.split('/').slice(1, normalized.endsWith('/') ? -1 : undefined);
      for (const part of parts) expect(['', '.', '..'].includes(part) || part.includes(';'), path).toBe(false);
      // The same path written without encodings normalizes the same way.
      expect(normalizePath(decodeURIComponent(path)), path).toBe(normalized);
    }
  });

  it('SECURITY.md #47: hosts are matched case-insensitively and canonically', () => {
    for (const host of ['API.Example.COM', 'api.example.com.', 'api.example.com:8443', 'Api.Example.Com.:443']) {
      expect(normalizeHost(host), host).toBe('api.example.com');
    }
    expect(normalizeHost('[::1]:8080')).toBe('[::1]');
    for (const bad of ['', 'a b', 'exa mple.com', 'x:y', 'host:999999', '[::1', 'a..b']) {
      expect(normalizeHost(bad), bad).toBe(null);
    }
    const rng = random(47);
    for (let n = 0; n < 500; n++) {
      const host = ['a', 'b', 'example', 'com']
        .map((label) => [...label].map((c) => (rng.next() < 0.5 ? c.toUpperCase() : c)).join(''))
        .join('.');
      expect(normalizeHost(`${host}${rng.next() < 0.5 ? '.' : ''}`)).toBe('a.b.example.com');
    }
  });
});

describe('rules in the configuration', () => {
  it('refuses rules that could match one request at one priority, naming both', () => {
    expect(
      problemsOf({
        rules: [
          { name: 'orders', path: '/orders/**' },
          { name: 'one-order', path: '/orders/*', require: { scopes: ['orders.read'] } },
        ],
      }),
    ).toEqual(['rules: rules orders and one-order can match the same request: give them different priorities']);
    // Disjoint methods, hosts or paths, or different priorities, are fine.
    expect(
      problemsOf({
        rules: [
          { name: 'read', path: '/orders/**', methods: ['GET'] },
          { name: 'write', path: '/orders/**', methods: ['post'] },
          { name: 'other-host', host: 'admin.example.com', path: '/orders/**' },
          { name: 'one-order', path: '/orders/*', priority: 1 },
        ],
      }).filter((problem) => !problem.includes('other-host')),
    ).toEqual([]);
  });

  it('refuses malformed rules with the field named', () => {
    const problems = problemsOf({
      rules: [
        { name: 'a', path: '/x', path_regex: '^/x$', priority: 1 },
        { name: 'b', path_regex: '(', priority: 2 },
        { name: 'c', path: '/c', allow: true, require: { admin: true } },
        { name: 'd', path: '/d', require: { tenant: '{path.tenant}' } },
        { name: 'e', path: '/e', methods: ['GE T'] },
        { name: 'f', path: 'no-slash' },
        { name: 'g', path: '/g', authenticators: ['password'] },
        { name: 'h h', path: '/h' },
      ],
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        'rules.0.path_regex: give path or path_regex, not both',
        'rules.1.path_regex: is not a valid regular expression',
        'rules.2.allow: a rule that allows or denies everyone takes no authenticators or require',
        'rules.3.require.tenant: {path.tenant} needs a path_regex with a named group (?<tenant>...)',
        'rules.4.methods.0: must be an HTTP method name such as GET',
        'rules.5.path: must start with /',
        'rules.7.name: must be 1-64 letters, digits, dots, dashes or underscores',
      ]),
    );
    expect(problems.some((problem) => problem.startsWith('rules.6.authenticators.0'))).toBe(true);
    expect(
      problemsOf({
        rules: [
          { name: 'a', path: '/a', headers: { 'X-Auth-Subject': '{subject}', 'Content-Type': 'x' } },
          { name: 'b', path: '/b', headers: { 'X-Who': '{password}' } },
        ],
      }),
    ).toEqual(
      expect.arrayContaining([
        'rules.0.headers.X-Auth-Subject: is a header Warden or HTTP itself sets',
        'rules.0.headers.Content-Type: is a header Warden or HTTP itself sets',
        'rules.1.headers.X-Who: unknown placeholder {password}',
      ]),
    );
    expect(
      problemsOf({ rules: [{ name: 'h', host: '*.example.com', path: '/h', require: { tenant: '{host.2}' } }] }),
    ).toEqual(['rules.0.require.tenant: {host.2} needs a host glob with at least 2 star(s)']);
    expect(problemsOf({ rules: [{ name: 'c', path: '/c', headers: { 'bad header': 'x' } }] })).toEqual([
      'rules.0.headers.bad header: must be a header name (letters, digits, dashes)',
    ]);
    expect(
      problemsOf({
        rules: [
          { name: 'x', path: '/x' },
          { name: 'x', path: '/y' },
        ],
      }),
    ).toEqual(['rules: two rules are named x']);
  });
});

describe.each(dialects)('decisions under access rules on %s', (dialect) => {
  let t: TestApp;
  let reader: string;
  let admin: string;

  const ask = (uri: string, headers: Record<string, string> = {}, method = 'GET') =>
    t.app.inject({
      method: 'GET',
      url: '/v1/decide',
      // From a trusted peer (inject's 127.0.0.1), as nginx's auth_request sends it.
      headers: { 'x-original-uri': uri, 'x-original-method': method, host: 'api.example.com', ...headers },
    });

  beforeAll(async () => {
    t = await startTestApp(dialect, {
      config: {
        rules: [
          { name: 'health', path: '/health', allow: true },
          { name: 'blocked', path: '/internal/**', deny: true },
          { name: 'public', path: '/public/**', authenticators: ['api_key', 'anonymous'] },
          { name: 'admin', path: '/admin/**', require: { admin: true } },
          { name: 'orders-read', path: '/orders/**', methods: ['GET'], require: { scopes: ['orders.read'] } },
          { name: 'orders-write', path: '/orders/**', methods: ['POST'], require: { scopes: ['orders.write'] } },
          {
            name: 'tenant-area',
            path_regex: '^/t/(?<tenant>[^/]+)(/.*)?$',
            priority: 1,
            require: { tenant: '{path.tenant}' },
          },
          { name: 'by-header', path: '/h/**', require: { tenant: '{header.x-tenant}' } },
          { name: 'keys-only', host: '*.keys.example.com', path: '/**', priority: 2, authenticators: ['api_key'] },
          {
            name: 'tenant-host',
            host: '*.tenants.example.com',
            path: '/**',
            priority: 3,
            require: { tenant: '{host.1}' },
          },
          {
            name: 'templated',
            path: '/tpl/**',
            headers: { 'X-User': '{subject}@{tenant}', 'X-Team': '{metadata.team}', 'X-Kind': 'by {credential.kind}' },
          },
        ],
      },
    });
    const create = async (input: Record<string, unknown>) =>
      (await t.warden.keys.create({ subject: 's', ...input }, { actor: 'test' })).key;
    reader = await create({ subject: 'reader', scopes: ['orders.read'], tenant: 'acme', metadata: { team: 'Zürich' } });
    admin = await create({ subject: 'root', admin: true });
  });
  afterAll(() => t.close());

  it('allow, deny and anonymous rules; no matching rule is 403', async () => {
    expect((await ask('/health')).statusCode).toBe(200);
    expect((await ask('/health')).headers['x-auth-credential']).toBe('anonymous');
    const blocked = await ask('/internal/x', { authorization: `Bearer ${admin}` });
    expect(blocked.statusCode).toBe(403);
    expect(blocked.json()).toEqual({ error: 'forbidden', message: 'Denied by the access rule blocked.' });
    expect((await ask('/public/docs')).headers['x-auth-subject-type']).toBe('anonymous');
    expect((await ask('/public/docs', { authorization: `Bearer ${reader}` })).headers['x-auth-subject']).toBe('reader');
    // A credential that is presented on an anonymous route is still verified.
    expect((await ask('/public/docs', { authorization: `Bearer ${lastCharacterChanged(reader)}` })).statusCode).toBe(
      401,
    );
    const none = await ask('/nowhere', { authorization: `Bearer ${admin}` });
    expect(none.statusCode).toBe(403);
    expect(none.json().message).toBe('No access rule matches this request.');
  });

  it('SECURITY.md #31: one key, one cache entry, and each rule decides on its own requirements', async () => {
    expect((await ask('/orders/1', { authorization: `Bearer ${reader}` })).statusCode).toBe(200);
    const write = await ask('/orders/1', { authorization: `Bearer ${reader}` }, 'POST');
    expect(write.statusCode).toBe(403);
    expect(write.json().error).toBe('insufficient_scope');
    expect((await ask('/admin/x', { authorization: `Bearer ${reader}` })).statusCode).toBe(403);
    expect((await ask('/admin/x', { authorization: `Bearer ${admin}` })).statusCode).toBe(200);
    expect((await ask('/orders/1', { authorization: `Bearer ${reader}` })).statusCode).toBe(200);
  });

  it('SECURITY.md #46: the rule of the normalized path applies, and a malformed path is denied', async () => {
    const auth = { authorization: `Bearer ${reader}` };
    for (const sneaky of ['/public/../admin/x', '/public/%2e%2e/admin/x', '/public;p/../admin/x', '//admin/x']) {
      const response = await ask(sneaky, auth);
      expect(response.statusCode, sneaky).toBe(403);
      expect(response.json().message, sneaky).toBe('An administrator credential is required.');
    }
    for (const malformed of ['/public/%2fadmin', '/../admin', '/public/%00']) {
      const response = await ask(malformed);
      expect(response.statusCode, malformed).toBe(403);
      expect(response.json().message, malformed).toBe('The request path is malformed.');
    }
  });

  it('SECURITY.md #47: a host glob matches whatever the case, port or trailing dot', async () => {
    const jwtShaped = 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';
    for (const host of ['a.keys.example.com', 'A.KEYS.Example.com', 'a.keys.example.com.:443']) {
      const response = await ask('/x', { host, authorization: `Bearer ${jwtShaped}` });
      expect(response.statusCode, host).toBe(401);
      expect(response.json().message, host).toBe('This resource does not take jwt credentials.');
      expect((await ask('/x', { host, authorization: `Bearer ${reader}` })).statusCode, host).toBe(200);
    }
  });

  it('tenant from a path capture, a host capture or a header; a missing header meets no tenant', async () => {
    const auth = { authorization: `Bearer ${reader}` };
    expect((await ask('/t/acme/orders', auth)).statusCode).toBe(200);
    expect((await ask('/t/other/orders', auth)).statusCode).toBe(403);
    expect((await ask('/h/x', { ...auth, 'x-tenant': 'acme' })).statusCode).toBe(200);
    expect((await ask('/h/x', { ...auth, 'x-tenant': 'other' })).statusCode).toBe(403);
    expect((await ask('/h/x', auth)).statusCode).toBe(403);
    expect((await ask('/x', { ...auth, host: 'ACME.tenants.example.com' })).statusCode).toBe(200);
    expect((await ask('/x', { ...auth, host: 'other.tenants.example.com' })).statusCode).toBe(403);
  });

  it("a rule's header templates are rendered for each principal, beside the X-Auth-* headers", async () => {
    const response = await ask('/tpl/x', { authorization: `Bearer ${reader}` });
    expect(response.statusCode).toBe(200);
    expect(response.headers).toMatchObject({
      'x-user': 'reader@acme',
      'x-team': 'Z%C3%BCrich',
      'x-kind': 'by api_key',
      'x-auth-subject': 'reader',
    });
    const other = await ask('/tpl/x', { authorization: `Bearer ${admin}` });
    expect(other.headers).toMatchObject({ 'x-user': 'root@', 'x-team': '' });
    // Another rule's answer for the same key carries none of them.
    expect((await ask('/orders/1', { authorization: `Bearer ${reader}` })).headers['x-user']).toBeUndefined();
  });

  it('the programmatic API decides under the same rules', async () => {
    const attributes = (path: string) => ({
      method: 'GET',
      host: 'api.example.com',
      path,
      headers: { authorization: `Bearer ${reader}` },
      peer: '127.0.0.1',
    });
    expect((await t.warden.decide(attributes('/orders/1'))).allow).toBe(true);
    expect(await t.warden.decide(attributes('/admin/1'))).toMatchObject({ allow: false, code: 'forbidden' });
    expect(t.warden.matchRule(attributes('/t/acme'))).toMatchObject({ name: 'tenant-area', verdict: 'authenticate' });
  });
});

describe('browsers and machines', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp('sqlite', {
      config: {
        server: { login_url: 'https://login.example.com/signin?app=orders' },
        rules: [
          { name: 'pages', path: '/app/**' },
          { name: 'api', path: '/api/**', authenticators: ['api_key', 'jwt'] },
        ],
      },
    });
  });
  afterAll(() => t.close());

  const ask = (uri: string, headers: Record<string, string>) =>
    t.app.inject({ method: 'GET', url: '/v1/decide', headers: { 'x-original-uri': uri, ...headers } });
  const PAGE = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

  it('a page load without a credential is sent to the login page with the path to come back to', async () => {
    const response = await ask('/app/orders?id=7', { accept: PAGE });
    expect(response.statusCode).toBe(302);
    expect(response.headers.location).toBe('https://login.example.com/signin?app=orders&rd=%2Fapp%2Forders');
  });

  it('a machine, a request with a credential, and a rule without sessions get the 401 JSON answer', async () => {
    const machine = await ask('/app/orders', { accept: 'application/json' });
    expect(machine.statusCode).toBe(401);
    expect(machine.json().error).toBe('missing_credentials');
    const withKey = await ask('/app/orders', { accept: PAGE, authorization: 'Bearer wdn_not_a_key' });
    expect(withKey.statusCode).toBe(401);
    expect(withKey.headers.location).toBeUndefined();
    expect((await ask('/api/orders', { accept: PAGE })).statusCode).toBe(401);
  });
});
