import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildInvoicesService } from '../../../examples/express-service.js';
import { buildOrdersService } from '../../../examples/fastify-service.js';
import { createTestDatabase, type TestDatabase } from './helpers/databases.js';

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
