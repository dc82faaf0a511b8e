import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wardenExpress } from '../src/integrations/express.js';
import { wardenFastify } from '../src/integrations/fastify.js';
import { testDialects } from './helpers/databases.js';
import { startTestWarden, type TestWarden } from './helpers/engine.js';
import { bearer } from './helpers/requests.js';

/**
 * Requirements from every level (rule, plugin, route) must all hold: a route's scopes add to the plugin's and
 * never replace them. Each case has a key that holds only the route's scope, which the old merge let through.
 */
const dialects = await testDialects();

describe.each(dialects)('requirements add up across levels on %s', (dialect) => {
  let t: TestWarden;
  let writeOnly: string;
  let readWrite: string;
  beforeAll(async () => {
    t = await startTestWarden(dialect);
    const create = async (scopes: string[], roles: string[] = []) =>
      (await t.warden.keys.create({ subject: `holder-of-${scopes.join('+')}`, scopes, roles }, { actor: 'test' })).key;
    writeOnly = await create(['orders.write'], ['viewer']);
    readWrite = await create(['orders.read', 'orders.write'], ['viewer', 'ops']);
  });
  afterAll(() => t.close());

  it('engine: two levels of scopes both hold; the denial names the missing one', async () => {
    const levels = [{ scopes: ['orders.read'] }, { scopes: ['orders.write'] }];
    expect(await t.warden.decide(bearer(writeOnly), levels)).toMatchObject({
      allow: false,
      status: 403,
      code: 'insufficient_scope',
      message: 'Missing scope: orders.read.',
    });
    expect(await t.warden.decide(bearer(readWrite), levels)).toMatchObject({ allow: true });
  });

  it('engine: each level needs one of its own roles; admin and tenant from any level are checked', async () => {
    const roleLevels = [{ anyRole: ['ops'] }, { anyRole: ['viewer'] }];
    expect(await t.warden.decide(bearer(writeOnly), roleLevels)).toMatchObject({ allow: false, code: 'forbidden' });
    expect(await t.warden.decide(bearer(readWrite), roleLevels)).toMatchObject({ allow: true });
    expect(await t.warden.decide(bearer(readWrite), [{}, { admin: true }])).toMatchObject({ code: 'forbidden' });
    expect(await t.warden.decide(bearer(readWrite), [{ tenant: 'acme' }, {}])).toMatchObject({ code: 'forbidden' });
  });

  it('Fastify: plugin requires orders.read, route orders.write; a key with only orders.write is 403', async () => {
    const app = Fastify();
    await app.register(wardenFastify(t.warden), { requirements: { scopes: ['orders.read'] } });
    app.post('/orders', { config: { warden: { scopes: ['orders.write'] } } }, async () => ({ created: true }));
    try {
      const denied = await app.inject({ method: 'POST', url: '/orders', headers: { 'x-api-key': writeOnly } });
      expect(denied.statusCode).toBe(403);
      expect(denied.json()).toEqual({ error: 'insufficient_scope', message: 'Missing scope: orders.read.' });
      const allowed = await app.inject({ method: 'POST', url: '/orders', headers: { 'x-api-key': readWrite } });
      expect(allowed.json()).toEqual({ created: true });
    } finally {
      await app.close();
    }
  });

  it('Express: app-wide middleware requires orders.read, the route orders.write; only-orders.write is 403', async () => {
    const app = express();
    app.use(wardenExpress(t.warden, { requirements: { scopes: ['orders.read'] } }));
    app.post(
      '/orders',
      wardenExpress(t.warden, { requirements: { scopes: ['orders.write'] } }),
      (_request, response) => {
        response.json({ created: true });
      },
    );
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolvePromise) => server.once('listening', resolvePromise));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/orders`;
    try {
      const denied = await fetch(url, { method: 'POST', headers: { 'x-api-key': writeOnly } });
      expect(denied.status).toBe(403);
      expect(await denied.json()).toEqual({ error: 'insufficient_scope', message: 'Missing scope: orders.read.' });
      const allowed = await fetch(url, { method: 'POST', headers: { 'x-api-key': readWrite } });
      expect(await allowed.json()).toEqual({ created: true });
    } finally {
      server.close();
    }
  });
});
