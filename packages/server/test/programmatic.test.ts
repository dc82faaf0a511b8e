import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildInvoicesService } from '../../../examples/express-service.js';
import { buildOrdersService } from '../../../examples/fastify-service.js';
import { createWarden, WardenError, wardenFastify } from '../src/index.js';
import { createTestDatabase, type TestDatabase } from './helpers/databases.js';
import { startTestWarden, type TestWarden } from './helpers/engine.js';
import { requestWith } from './helpers/requests.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

describe('programmatic mode: the README examples, run as written', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
  });
  afterAll(() => database.drop());

  it('the README shows both example files verbatim', () => {
    for (const file of ['fastify-service.ts', 'express-service.ts']) {
      expect(readme).toContain(readFileSync(join(ROOT, 'examples', file), 'utf8').trim());
    }
  });

  it('Fastify plugin: protects routes, honours per-route requirements and opt-outs', async () => {
    const { app, warden } = await buildOrdersService({ data_dir: database.dataDir, database: { url: database.url } });
    const reader = await warden.keys.create({ subject: 'reporting', scopes: ['orders.read'] }, { actor: 'test' });
    const writer = await warden.keys.create(
      { subject: 'checkout', scopes: ['orders.read', 'orders.write'] },
      { actor: 'test' },
    );

    const anonymous = await app.inject({ url: '/orders' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['www-authenticate']).toBe('Bearer realm="warden"');
    expect((await app.inject({ url: '/orders', headers: { 'x-api-key': reader.key } })).json()).toEqual({
      caller: 'reporting',
      orders: [],
    });

    const readOnly = await app.inject({
      method: 'POST',
      url: '/orders',
      headers: { authorization: `Bearer ${reader.key}` },
    });
    expect(readOnly.statusCode).toBe(403);
    expect(readOnly.json().error).toBe('insufficient_scope');
    expect(readOnly.headers['www-authenticate']).toContain('error="insufficient_scope"');
    // The route's orders.write adds to the plugin's orders.read: holding orders.write alone is not enough.
    const writeOnly = await warden.keys.create({ subject: 'writer', scopes: ['orders.write'] }, { actor: 'test' });
    const withoutRead = await app.inject({ method: 'POST', url: '/orders', headers: { 'x-api-key': writeOnly.key } });
    expect(withoutRead.statusCode).toBe(403);
    expect(withoutRead.json()).toEqual({ error: 'insufficient_scope', message: 'Missing scope: orders.read.' });
    const write = await app.inject({
      method: 'POST',
      url: '/orders',
      headers: { authorization: `Bearer ${writer.key}` },
    });
    expect(write.json()).toEqual({ created: true });

    expect((await app.inject({ url: '/health' })).json()).toEqual({ ok: true });
    await app.close();
  });

  it('Express middleware: protects a path prefix with a scope requirement', async () => {
    const { app, warden } = await buildInvoicesService({ data_dir: database.dataDir, database: { url: database.url } });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const billing = await warden.keys.create({ subject: 'billing', scopes: ['invoices.read'] }, { actor: 'test' });
      const other = await warden.keys.create({ subject: 'other', scopes: ['orders.read'] }, { actor: 'test' });

      expect((await fetch(`${base}/health`)).status).toBe(200);
      const missing = await fetch(`${base}/invoices`);
      expect(missing.status).toBe(401);
      expect(await missing.json()).toEqual({ error: 'missing_credentials', message: 'No credentials were presented.' });
      const wrongScope = await fetch(`${base}/invoices`, { headers: { 'x-api-key': other.key } });
      expect(wrongScope.status).toBe(403);
      const ok = await fetch(`${base}/invoices`, { headers: { authorization: `Bearer ${billing.key}` } });
      expect(await ok.json()).toEqual({ caller: 'billing', invoices: [] });
    } finally {
      server.close();
      await warden.close();
    }
  });
});

/** An object as plain JavaScript sees it: no types stop a wrong argument. */
type Untyped = Record<string, (...args: unknown[]) => unknown>;
const untyped = (value: object) => value as unknown as Untyped;

/** The error a call rejects (or throws) with; fails the test when it succeeds. */
async function refusalOf(call: () => unknown): Promise<unknown> {
  try {
    await call();
  } catch (error) {
    return error;
  }
  throw new Error('the call was expected to be refused');
}

describe('programmatic mode from plain JavaScript (docs/programmatic.md)', () => {
  let testWarden: TestWarden;
  beforeEach(async () => {
    testWarden = await startTestWarden('sqlite');
  });
  afterEach(() => testWarden.close());

  it('create, rotate and revoke need only their first argument; the actor recorded is "programmatic"', async () => {
    const { warden } = testWarden;
    const keys = untyped(warden.keys);
    const created = (await keys.create!({ subject: 'reporting', scopes: ['orders.read'] })) as Awaited<
      ReturnType<typeof warden.keys.create>
    >;
    expect(created.record.createdBy).toBe('programmatic');
    const rotated = (await keys.rotate!(created.record.id)) as Awaited<ReturnType<typeof warden.keys.rotate>>;
    expect(rotated.record.createdBy).toBe('programmatic');
    expect((await keys.revoke!(rotated.record.id)) as { status: string }).toMatchObject({ status: 'revoked' });

    const changes = (await warden.audit.list()).filter((event) => event.action !== 'credential.verify_failed');
    expect(changes.map((event) => [event.action, event.actor]).sort()).toEqual([
      ['api_key.create', 'programmatic'],
      ['api_key.revoke', 'programmatic'],
      ['api_key.rotate', 'programmatic'],
    ]);
  });

  it('wrong-typed arguments are refused with WardenError invalid_request naming the argument, never a TypeError', async () => {
    const { warden } = testWarden;
    const { key, record } = await warden.keys.create({ subject: 'reporting', scopes: ['orders.read'] });
    const keys = untyped(warden.keys);
    const engine = untyped(warden);
    const request = requestWith({ 'x-api-key': key });
    const cases: [string, () => unknown, string][] = [
      ['create: subject a number', () => keys.create!({ subject: 42 }), 'subject: '],
      ['create: no input', () => keys.create!(), 'expected object'],
      ['create: actor a string', () => keys.create!({ subject: 'x' }, 'alice'), 'by: '],
      ['create: actor without a name', () => keys.create!({ subject: 'x' }, {}), 'by.actor: '],
      ['create: metadata a string', () => keys.create!({ subject: 'x', metadata: key }), 'metadata: '],
      ['show: id a number', () => keys.show!(12), 'id: '],
      ['revoke: no id', () => keys.revoke!(), 'id: '],
      ['rotate: overlap in seconds', () => keys.rotate!(record.id, { overlap: 3600 }), 'overlap: '],
      ['verify: no key', () => keys.verify!(), 'key: '],
      ['list: limit not a number', () => keys.list!({ limit: 'lots' }), 'limit: '],
      ['authenticate: no attributes', () => engine.authenticate!(), 'attributes: must be an object'],
      [
        'decide: a header name in capitals is never seen by authenticators',
        () => engine.decide!({ ...request, headers: { 'X-API-Key': key } }),
        'header names must be lower-case (X-API-Key)',
      ],
      [
        'decide: "scope" for "scopes" would otherwise let any valid key in',
        () => engine.decide!(request, { scope: ['orders.write'] }),
        'requirements: unknown field(s): scope',
      ],
      [
        'decide: a role list that is a string, in the second level',
        () => engine.decide!(request, [{}, { anyRole: 'admin' }]),
        'requirements.1.anyRole: ',
      ],
      [
        'decideNow: scopes as one string',
        () => engine.decideNow!(request, { scopes: 'orders.read' }),
        'requirements.scopes: ',
      ],
      [
        'createWarden: configuration beside "config" instead of in it',
        () => untyped({ createWarden }).createWarden!({ database: { url: testWarden.database.url } }),
        'options: database belong(s) in the configuration',
      ],
    ];
    for (const [name, call, message] of cases) {
      const error = await refusalOf(call);
      expect(error, name).toBeInstanceOf(WardenError);
      expect((error as WardenError).code, name).toBe('invalid_request');
      expect((error as WardenError).message, name).toContain(message);
      expect((error as WardenError).message, `${name}: the message quotes no key`).not.toContain(key);
    }
    // Refused before anything happened: still only the one key.
    expect(await warden.keys.list()).toHaveLength(1);
  });

  it('clients, signing keys and the audit log need only their first argument; the actor is "programmatic"', async () => {
    const { warden } = testWarden;
    const clients = untyped(warden.clients);
    const created = (await clients.create!({ name: 'reporting', scopes: ['orders.read'] })) as Awaited<
      ReturnType<typeof warden.clients.create>
    >;
    const id = created.client_id;
    expect(created.client.createdBy).toBe('programmatic');
    await clients.rotateSecret!(id);
    await clients.disable!(id);
    await clients.enable!(id);
    expect(((await clients.list!()) as { id: string }[]).map((client) => client.id)).toEqual([id]);
    expect(await clients.show!(id)).toMatchObject({ id, status: 'active' });
    await clients.delete!(id);
    const rotated = (await untyped(warden.signingKeys.service).rotate!()) as Awaited<
      ReturnType<typeof warden.signingKeys.service.rotate>
    >;
    expect((await warden.signingKeys.service.list()).map((key) => key.kid)).toContain(rotated.key.kid);

    // The engine's own background task may have made the first signing key: only these calls' events count.
    const events = (await untyped(warden.audit).list!()) as { action: string; actor: string; targetId: string }[];
    const changes = events.filter((event) => event.targetId === id || event.targetId === rotated.key.kid);
    expect(changes.map((event) => [event.action, event.actor])).toEqual([
      [rotated.previous === null ? 'signing_key.create' : 'signing_key.rotate', 'programmatic'],
      ['oauth_client.delete', 'programmatic'],
      ['oauth_client.enable', 'programmatic'],
      ['oauth_client.disable', 'programmatic'],
      ['oauth_client.rotate_secret', 'programmatic'],
      ['oauth_client.create', 'programmatic'],
    ]);
  });

  it('clients, signing keys and the audit log refuse wrong-typed arguments as the admin API does', async () => {
    const { warden } = testWarden;
    const { client_id: id } = await warden.clients.create({ name: 'reporting' });
    const clients = untyped(warden.clients);
    const service = untyped(warden.signingKeys.service);
    const audit = untyped(warden.audit);
    const signer = untyped(warden.signingKeys.signer);
    const cases: [string, () => unknown, string][] = [
      ['clients.create: no input', () => clients.create!(), 'expected object'],
      ['clients.create: scopes as one string', () => clients.create!({ name: 'x', scopes: 'a b' }), 'scopes: '],
      ['clients.create: actor a string', () => clients.create!({ name: 'x' }, 'alice'), 'by: '],
      ['clients.list: limit not a number', () => clients.list!({ limit: 'lots' }), 'limit: '],
      ['clients.show: id a number', () => clients.show!(12), 'id: '],
      ['clients.rotateSecret: overlap in seconds', () => clients.rotateSecret!(id, { overlap: 3600 }), 'overlap: '],
      ['clients.disable: no id', () => clients.disable!(), 'id: '],
      ['clients.enable: actor without a name', () => clients.enable!(id, {}), 'by.actor: '],
      ['clients.delete: id a number', () => clients.delete!(7), 'id: '],
      ['signingKeys.service.rotate: now a string', () => service.rotate!({ now: 'yes' }), 'now: '],
      ['signingKeys.service.rotate: an unknown field', () => service.rotate!({ immediately: true }), 'immediately'],
      ['signingKeys.signer.sign: no claims', () => signer.sign!(), 'claims: '],
      ['audit.list: limit not a number', () => audit.list!({ limit: 'lots' }), 'filter.limit: '],
      ['audit.list: an unknown field', () => audit.list!({ target: id }), 'filter: unknown field(s): target'],
    ];
    for (const [name, call, message] of cases) {
      const error = await refusalOf(call);
      expect(error, name).toBeInstanceOf(WardenError);
      expect((error as WardenError).code, name).toBe('invalid_request');
      expect((error as WardenError).message, name).toContain(message);
    }
    // Refused before anything happened.
    expect(await warden.clients.list()).toHaveLength(1);
    const changes = (await warden.audit.list()).filter((event) => event.actor === 'programmatic');
    expect(changes.map((event) => event.action)).toEqual(['oauth_client.create']);
  });

  it('docs/programmatic.md documents every member of the engine and every method of its services', () => {
    const { warden } = testWarden;
    const documentation = readFileSync(join(ROOT, 'docs/programmatic.md'), 'utf8');
    /** The methods on an object's class; private TypeScript methods are ordinary ones at run time. */
    const methodsOf = (value: object, privates: string[]) =>
      Object.getOwnPropertyNames(Object.getPrototypeOf(value))
        .filter((name) => name !== 'constructor' && typeof (value as Untyped)[name] === 'function')
        .filter((name) => !privates.includes(name))
        .sort();
    const services: [string, object, string[], string[]][] = [
      [
        'keys',
        warden.keys,
        ['mintKey', 'auditKeyChange', 'require'],
        ['create', 'list', 'revoke', 'rotate', 'show', 'verify'],
      ],
      [
        'clients',
        warden.clients,
        ['setDisabled', 'checkTokenTtl', 'audited', 'require', 'notFound'],
        ['create', 'delete', 'disable', 'enable', 'list', 'rotateSecret', 'show'],
      ],
      ['signingKeys.service', warden.signingKeys.service, [], ['list', 'rotate']],
      ['signingKeys.signer', warden.signingKeys.signer, [], ['sign']],
      ['audit', warden.audit, [], ['list', 'record']],
    ];
    for (const [path, service, privates, expected] of services) {
      // A new method fails here until it is documented (and listed above).
      expect(methodsOf(service, privates), path).toEqual(expected);
      for (const method of expected) {
        expect(documentation, `${path}.${method}`).toMatch(
          new RegExp(`(### |\\\`)warden\\.${path.replace('.', '\\.')}\\.${method}\\(`),
        );
      }
    }
    // The signing keys capability: its own methods under their headings, the parts every capability has named.
    const capabilityParts = ['name', 'authenticators', 'adminRoutes', 'publicRoutes', 'discoveryMetadata'];
    capabilityParts.push('start', 'flush', 'stop');
    for (const [member, value] of Object.entries(warden.signingKeys)) {
      if (member === 'service' || member === 'signer') continue;
      const own = typeof value === 'function' && !capabilityParts.includes(member);
      const heading = own ? `### warden.signingKeys.${member}(` : `\`${member}\``;
      expect(documentation, `signingKeys.${member}`).toContain(heading);
    }
    const described = new Set(['keys', 'clients', 'signingKeys', 'audit']);
    for (const [member, value] of Object.entries(warden)) {
      const heading = described.has(member)
        ? `: \`warden.${member}\``
        : typeof value === 'function'
          ? `### warden.${member}(`
          : `| \`${member}\``;
      expect(documentation, member).toContain(heading);
    }
    for (const integration of ['wardenFastify(warden)', 'wardenExpress(warden, options?)', 'buildApp(warden)']) {
      expect(documentation).toContain(`### ${integration}`);
    }
  });

  it('docs/programmatic.md names every export of the package', () => {
    const documentation = readFileSync(join(ROOT, 'docs/programmatic.md'), 'utf8');
    const index = readFileSync(join(ROOT, 'packages/server/src/index.ts'), 'utf8');
    const exported = [...index.matchAll(/export (?:type )?\{([^}]+)\}/g)].flatMap((match) =>
      match[1]!.split(',').map(
        (name) =>
          name
            .trim()
            .replace(/^type /, '')
            .split(' as ')
            .at(-1)!,
      ),
    );
    expect(exported).toContain('createWarden');
    const named = (name: string) => documentation.includes(`\`${name}`) || documentation.includes(`### ${name}(`);
    const missing = exported.filter((name) => name !== '' && !named(name));
    expect(missing).toEqual([]);
  });

  it('a misspelt requirement in the Fastify plugin fails closed: no key reaches the route', async () => {
    const { warden } = testWarden;
    const { key } = await warden.keys.create({ subject: 'reporting', scopes: ['orders.read'] });
    const app = Fastify();
    let reached = false;
    await app.register(wardenFastify(warden), { requirements: { scope: ['orders.write'] } as never });
    app.post('/orders', async () => {
      reached = true;
      return { created: true };
    });
    const response = await app.inject({ method: 'POST', url: '/orders', headers: { 'x-api-key': key } });
    await app.close();
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'invalid_request' });
    expect(reached).toBe(false);
  });
});
