import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../src/config/errors.js';
import { parseConfig } from '../src/config/load.js';
import { createWarden } from '../src/engine.js';
import { WardenError } from '../src/errors/warden-error.js';
import {
  isLabel,
  isRoleName,
  isScopeToken,
  LABEL_RULE,
  ROLE_NAME_RULE,
  SCOPE_TOKEN_RULE,
  WELL_FORMED_RULE,
} from '../src/identity/names.js';
import { findNonconformingKeys } from '../src/keys/nonconforming.js';
import { type ApiKeyRecord, toApiKeyRow } from '../src/store/api-keys.js';
import { openDatabase } from '../src/store/database.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { buildCli, runCleanups, warden, wardenJson, workDir } from './helpers/cli.js';
import { createTestDatabase, type TestDatabase, testDialects } from './helpers/databases.js';
import { startTestWarden } from './helpers/engine.js';
import { apiKeyRecord } from './helpers/records.js';
import { bearer } from './helpers/requests.js';

const dialects = await testDialects();

/** How a proxy or an application reads the list headers: a plain split, no unescaping. */
const splitRoles = (header: unknown) => String(header).split(',');
const splitScopes = (header: unknown) => String(header).split(' ');

/** Writes straight into `api_keys`, as a release before SECURITY.md #50 (or a hand edit) could have. */
async function writeRows(url: string, write: (db: ReturnType<typeof openDatabase>['db']) => Promise<unknown>) {
  const database = openDatabase(url);
  try {
    await write(database.db);
  } finally {
    await database.close();
  }
}

/** A record as an older release could have stored it: no name, tenant, roles or scopes unless given. */
function legacyRecord(id: string, fields: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return apiKeyRecord(id, {
    name: null,
    subject: 'legacy-svc',
    tenant: null,
    roles: [],
    scopes: [],
    metadata: {},
    createdBy: 'an older release',
    ...fields,
  });
}

describe('SECURITY.md #50 the alphabets of names', () => {
  it.each([
    ['orders.read', true],
    ['orders:read', true],
    ['https://api.example.com/orders.write', true],
    ['a,b', true],
    ['!#$%&()*+-./:;<=>?@[]^_`{|}~', true],
    ['x'.repeat(200), true],
    ['', false],
    ['x'.repeat(201), false],
    ['a b', false],
    ['a"b', false],
    ['a\\b', false],
    ['a\tb', false],
    ['a\u0000b', false],
    ['café', false],
  ])('scope %j is an RFC 6749 scope-token: %s', (value, valid) => {
    expect(isScopeToken(value)).toBe(valid);
  });

  it.each([
    ['admin', true],
    ['billing:write', true],
    ['org/team.lead', true],
    ['ops@eu+', true],
    ['A-Z_0-9', true],
    ['x'.repeat(128), true],
    ['', false],
    ['x'.repeat(129), false],
    ['x,admin', false],
    ['x admin', false],
    ['a\u0000b', false],
    ['a"b', false],
    ["a'b", false],
    ['a\\b', false],
    ['a;b', false],
    ['rôle', false],
  ])('role %j is in the role alphabet: %s', (value, valid) => {
    expect(isRoleName(value)).toBe(valid);
  });

  it.each([
    ['orders-svc', true],
    ['billing prod', true],
    ['a,b', true],
    ['café 😀', true],
    ['x'.repeat(200), true],
    ['', false],
    [' ', false],
    ['x'.repeat(201), false],
    ['a\nb', false],
    ['a\rb', false],
    ['a\u0000b', false],
    ['a\u007fb', false],
    ['a\u0085b', false],
    ['a\u2028b', false],
    ['a\u2029b', false],
    ['trailing ', false],
    [' leading', false],
    ['nbsp\u00a0', false],
    ['lone \ud800 surrogate', false],
  ])('label %j is a label: %s', (value, valid) => {
    expect(isLabel(value)).toBe(valid);
  });
});

describe.each(dialects)('SECURITY.md #50 admin API and programmatic API on %s', (dialect) => {
  let t: TestApp;
  const admin = () => ({ authorization: `Bearer ${t.adminKey}` });

  beforeAll(async () => {
    t = await startTestApp(dialect);
  });
  afterAll(() => t.close());

  it.each([
    ['role x,admin', { roles: ['x,admin'] }, 'body.roles.0', ROLE_NAME_RULE, 'x,admin'],
    ['role "x admin"', { roles: ['reader', 'x admin'] }, 'body.roles.1', ROLE_NAME_RULE, 'x admin'],
    ['role with NUL', { roles: ['a\u0000b'] }, 'body.roles.0', ROLE_NAME_RULE, 'a\\u0000b'],
    ['scope "a b"', { scopes: ['a b'] }, 'body.scopes.0', SCOPE_TOKEN_RULE, 'a b'],
    ['scope with a quote', { scopes: ['orders"read'] }, 'body.scopes.0', SCOPE_TOKEN_RULE, 'orders'],
    ['subject with a newline', { subject: 'svc\nX-Auth-Admin: true' }, 'body.subject', LABEL_RULE, 'X-Auth-Admin'],
    ['subject with a trailing space', { subject: 'svc-trailing ' }, 'body.subject', LABEL_RULE, 'svc-trailing'],
    ['tenant with a control character', { tenant: 'acme\u0001' }, 'body.tenant', LABEL_RULE, 'acme'],
    ['name with DEL', { name: 'prod\u007fkey' }, 'body.name', LABEL_RULE, 'prod'],
    ['subject with an unpaired surrogate', { subject: 'svc\ud800' }, 'body.subject', WELL_FORMED_RULE, 'svc'],
  ])(
    'POST /v1/admin/keys with a %s is 400 invalid_request naming the field, not the value',
    async (_what, fields, field, rule, value) => {
      const before = (await t.warden.keys.list({ limit: 1000 })).length;
      const response = await t.app.inject({
        method: 'POST',
        url: '/v1/admin/keys',
        headers: admin(),
        payload: { subject: 'svc', ...fields },
      });
      expect(response.statusCode).toBe(400);
      const body = response.json();
      expect(body.error).toBe('invalid_request');
      expect(body.message).toBe(`${field}: ${rule}`);
      expect(response.body).not.toContain(value);
      expect(body.message).not.toContain(value);
      expect((await t.warden.keys.list({ limit: 1000 })).length).toBe(before);
    },
  );

  it('revocation reasons and list filters are labels too: 400, value not echoed', async () => {
    const { record } = await t.warden.keys.create({ subject: 'to-revoke' }, { actor: 'test' });
    const revoke = await t.app.inject({
      method: 'POST',
      url: `/v1/admin/keys/${record.id}/revoke`,
      headers: admin(),
      payload: { reason: 'leaked\r\nX-Injected: 1' },
    });
    expect(revoke.statusCode).toBe(400);
    expect(revoke.json()).toEqual({ error: 'invalid_request', message: `body.reason: ${LABEL_RULE}` });
    const list = await t.app.inject({ url: '/v1/admin/keys?tenant=%20acme', headers: admin() });
    expect(list.statusCode).toBe(400);
    expect(list.json()).toEqual({ error: 'invalid_request', message: `query.tenant: ${LABEL_RULE}` });
  });

  it('names with : / . @ + and Unicode labels are accepted and reach the headers unchanged or percent-encoded', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/admin/keys',
      headers: admin(),
      payload: {
        subject: 'orders svc (eu) 😀',
        tenant: 'acme.eu',
        name: 'orders, prod',
        roles: ['billing:admin', 'org/team.lead', 'ops@eu+'],
        scopes: ['orders:read', 'https://api.example.com/orders.write'],
      },
    });
    expect(created.statusCode).toBe(201);
    const decision = await t.app.inject({ url: '/v1/decide', headers: { 'x-api-key': created.json().key } });
    expect(decision.statusCode).toBe(200);
    expect(decision.headers['x-auth-subject']).toBe('orders svc (eu) %F0%9F%98%80');
    expect(decision.headers['x-auth-tenant']).toBe('acme.eu');
    expect(splitRoles(decision.headers['x-auth-roles'])).toEqual(['billing:admin', 'org/team.lead', 'ops@eu+']);
    expect(splitScopes(decision.headers['x-auth-scopes'])).toEqual([
      'orders:read',
      'https://api.example.com/orders.write',
    ]);
  });

  it('the OpenAPI document publishes the alphabets as patterns', async () => {
    const document = (await t.app.inject({ url: '/v1/openapi.json' })).json();
    const schema = document.paths['/v1/admin/keys'].post.requestBody.content['application/json'].schema;
    expect(new RegExp(schema.properties.roles.items.pattern).test('x,admin')).toBe(false);
    expect(new RegExp(schema.properties.scopes.items.pattern).test('a b')).toBe(false);
    expect(new RegExp(schema.properties.subject.pattern).test('svc ')).toBe(false);
    expect(new RegExp(schema.properties.roles.items.pattern).test('billing:admin')).toBe(true);
  });

  it('warden.keys.create({roles: ["x,admin"]}) rejects with WardenError invalid_request', async () => {
    const attempt = t.warden.keys.create({ subject: 'svc', roles: ['x,admin'] }, { actor: 't' });
    await expect(attempt).rejects.toBeInstanceOf(WardenError);
    await expect(attempt).rejects.toMatchObject({
      code: 'invalid_request',
      message: `roles.0: ${ROLE_NAME_RULE}`,
    });
    await expect(t.warden.keys.create({ subject: 'svc', scopes: ['a b'] }, { actor: 't' })).rejects.toMatchObject({
      code: 'invalid_request',
      message: `scopes.0: ${SCOPE_TOKEN_RULE}`,
    });
  });

  it('a legacy row with role x,admin and scope "a b" answers 200, and no split of the headers yields admin or b', async () => {
    const { key, record } = await t.warden.keys.create(
      { subject: 'legacy', roles: ['reader'], scopes: ['orders.read'] },
      { actor: 'test' },
    );
    await writeRows(t.database.url, (db) =>
      db
        .updateTable('api_keys')
        .set({
          roles: JSON.stringify(['x,admin', 'r2', 'tab\tadmin', 'pct%2Cadmin', 'lone\ud800']),
          scopes: JSON.stringify(['a b', 'c', 'd\nb']),
        })
        .where('id', '=', record.id)
        .execute(),
    );
    const decision = await t.app.inject({ url: '/v1/decide', headers: { 'x-api-key': key } });
    expect(decision.statusCode).toBe(200);
    const roles = splitRoles(decision.headers['x-auth-roles']);
    expect(roles).toEqual(['x%2Cadmin', 'r2', 'tab%09admin', 'pct%252Cadmin', 'lone%EF%BF%BD']);
    expect(roles).not.toContain('admin');
    expect(roles.map((role) => role.trim())).not.toContain('admin');
    const scopes = splitScopes(decision.headers['x-auth-scopes']);
    expect(scopes).toEqual(['a%20b', 'c', 'd%0Ab']);
    expect(scopes).not.toContain('b');
    // The decision body keeps the names as stored: JSON cannot be split the same way.
    expect(decision.json().roles).toContain('x,admin');
    // Nor does Warden itself read the legacy role as `admin`.
    const required = await t.warden.decide(bearer(key), { anyRole: ['admin'] });
    expect(required).toMatchObject({ allow: false, status: 403, code: 'forbidden' });
    // A rotation would copy the names to a new key: refused, with the fields named and no value echoed.
    const rotated = await t.app.inject({
      method: 'POST',
      url: `/v1/admin/keys/${record.id}/rotate`,
      headers: { authorization: `Bearer ${t.adminKey}` },
      payload: {},
    });
    expect(rotated.statusCode).toBe(409);
    expect(rotated.json()).toEqual({ error: 'conflict', message: expect.stringContaining('(roles, scopes)') });
    expect(rotated.body).not.toContain('x,admin');
  });
});

describe('SECURITY.md #50 static keys in config', () => {
  const KEY = 'static-key-123456789';
  const where = 'api_keys.static.[redacted]#1';

  it.each([
    [{ roles: ['x,admin'] }, `${where}.roles.0: ${ROLE_NAME_RULE}`],
    [{ roles: ['ok', 'x admin'] }, `${where}.roles.1: ${ROLE_NAME_RULE}`],
    [{ scopes: ['a b'] }, `${where}.scopes.0: ${SCOPE_TOKEN_RULE}`],
    [{ subject: 'ci\n' }, `${where}.subject: ${LABEL_RULE}`],
    [{ tenant: ' acme' }, `${where}.tenant: ${LABEL_RULE}`],
    [{ name: '' }, `${where}.name: ${LABEL_RULE}`],
  ])('%j is a config validation error naming the field', (fields, problem) => {
    let caught: unknown;
    try {
      parseConfig({ api_keys: { static: { [KEY]: { subject: 'ci', ...fields } } } });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).problems).toEqual([problem]);
    expect((caught as ConfigError).message).not.toContain(KEY);
  });

  it('an engine does not start with one', async () => {
    await expect(
      createWarden({ config: { api_keys: { static: { [KEY]: { subject: 'ci', roles: ['x,admin'] } } } } }),
    ).rejects.toBeInstanceOf(ConfigError);
  });

  it.each(dialects)('conforming static names reach the headers on %s', async (dialect) => {
    const t = await startTestWarden(dialect, {
      config: { api_keys: { static: { [KEY]: { subject: 'ci', roles: ['deploy:prod'], scopes: ['repo:write'] } } } },
    });
    try {
      const { buildApp } = await import('../src/http/app.js');
      const app = buildApp(t.warden);
      const decision = await app.inject({ url: '/v1/decide', headers: { 'x-api-key': KEY } });
      await app.close();
      expect(decision.statusCode).toBe(200);
      expect(decision.headers['x-auth-roles']).toBe('deploy:prod');
      expect(decision.headers['x-auth-scopes']).toBe('repo:write');
    } finally {
      await t.close();
    }
  });
});

describe.each(dialects)('SECURITY.md #50 the scan of stored keys on %s', (dialect) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(dialect);
  });
  afterAll(() => database.drop());

  it('pages through every row and names the field and rule of each offending name, never its value', async () => {
    // Migrating creates the table; the engine is closed again at once.
    const t = await startTestWarden(dialect, { database });
    await t.close();
    await writeRows(database.url, async (db) => {
      const rows = [
        legacyRecord('scanKey00001', { roles: ['reader'], scopes: ['orders.read'], tenant: 'acme' }),
        legacyRecord('scanKey00002', { roles: ['x,admin', 'ok'], scopes: ['ok', 'a b'] }),
        legacyRecord('scanKey00003', { subject: 'svc\n', tenant: 'acme ', name: 'fine name' }),
        legacyRecord('scanKey00004', { revokedAt: 1, revokedReason: 'leaked\r\n' }),
        legacyRecord('scanKey00005'),
      ].map((record) => toApiKeyRow(record, record.createdAt));
      await db.insertInto('api_keys').values(rows).execute();
      await db.updateTable('api_keys').set({ roles: '"not a list"' }).where('id', '=', 'scanKey00005').execute();
    });
    const expected = [
      { id: 'scanKey00002', field: 'roles[0]', problem: ROLE_NAME_RULE },
      { id: 'scanKey00002', field: 'scopes[1]', problem: SCOPE_TOKEN_RULE },
      { id: 'scanKey00003', field: 'subject', problem: LABEL_RULE },
      { id: 'scanKey00003', field: 'tenant', problem: LABEL_RULE },
      { id: 'scanKey00004', field: 'revokedReason', problem: LABEL_RULE },
      { id: 'scanKey00005', field: 'roles', problem: 'must be a JSON list of strings' },
    ];
    const scanned = openDatabase(database.url);
    try {
      // A batch smaller than the table, so paging is exercised; the result does not depend on it.
      expect(await findNonconformingKeys(scanned.db, { batchSize: 2 })).toEqual(expected);
      expect(await findNonconformingKeys(scanned.db)).toEqual(expected);
    } finally {
      await scanned.close();
    }
  });
});

describe('SECURITY.md #50 the CLI', () => {
  beforeAll(buildCli, 180_000);
  afterEach(runCleanups);

  it.each([
    ['--role', 'x,admin', `--role: ${ROLE_NAME_RULE}`],
    ['--scope', 'a b', `--scope: ${SCOPE_TOKEN_RULE}`],
    ['--tenant', 'acme\u0007', `--tenant: ${LABEL_RULE}`],
  ])('keys create %s %j exits 2 with a clear message that does not echo the value', async (flag, value, problem) => {
    const cwd = workDir();
    await wardenJson(['migrate'], { cwd });
    const human = await warden(['keys', 'create', '--subject', 'svc', flag, value], { cwd });
    expect(human.code).toBe(2);
    expect(human.stderr).toBe(`error: ${problem}\n`);
    expect(human.stdout).toBe('');
    const json = await wardenJson(['keys', 'create', '--subject', 'svc', flag, value], { cwd }, 2);
    expect(json).toEqual({ error: 'invalid_request', message: problem });
    const listed = await wardenJson(['keys', 'list'], { cwd });
    expect(listed.items).toEqual([]);
  });

  describe.each(dialects)('warden migrate on %s', (dialect) => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await createTestDatabase(dialect);
    });
    afterAll(() => database.drop());

    it('reports a legacy row with role x,admin and scope "a b" in nonconforming, warns in text, exits 0', async () => {
      const cwd = workDir();
      const store = dialect === 'sqlite' ? ['--data-dir', database.dataDir] : ['--database', database.url];
      const clean = await wardenJson(['migrate', ...store], { cwd });
      expect(clean.applied.length).toBeGreaterThan(0);
      expect(clean.nonconforming).toBeUndefined();

      await writeRows(database.url, (db) =>
        db
          .insertInto('api_keys')
          .values([
            toApiKeyRow(legacyRecord('legacyKey001', { roles: ['x,admin'], scopes: ['a b'] }), 0),
            toApiKeyRow(legacyRecord('goodKey00001', { roles: ['admin'], scopes: ['b'] }), 0),
          ])
          .execute(),
      );

      const report = await wardenJson(['migrate', ...store], { cwd });
      expect(report.applied).toEqual([]);
      expect(report.nonconforming).toEqual([
        { id: 'legacyKey001', field: 'roles[0]', problem: ROLE_NAME_RULE },
        { id: 'legacyKey001', field: 'scopes[0]', problem: SCOPE_TOKEN_RULE },
      ]);

      const human = await warden(['migrate', ...store], { cwd });
      expect(human.code).toBe(0);
      expect(human.stdout).toContain('is up to date');
      expect(human.stdout).toMatch(/^warning: 1 API key .*identity headers/m);
      expect(human.stdout).toContain(`  legacyKey001  roles[0]: ${ROLE_NAME_RULE}\n`);
      expect(human.stdout).toContain(`  legacyKey001  scopes[0]: ${SCOPE_TOKEN_RULE}\n`);
      expect(human.stdout).toContain('warden keys revoke ID');
      expect(human.stdout).not.toContain('goodKey00001');
      for (const output of [human.stdout, human.stderr, JSON.stringify(report)]) {
        expect(output).not.toContain('x,admin');
        expect(output).not.toContain('"a b"');
      }
    });
  });
});
