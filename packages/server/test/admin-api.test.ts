import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';
import { testDialects } from './helpers/databases.js';

const dialects = await testDialects();

describe.each(dialects)('admin API on %s', (dialect) => {
  let t: TestApp;
  const admin = () => ({ authorization: `Bearer ${t.adminKey}` });

  beforeAll(async () => {
    t = await startTestApp(dialect);
  });
  afterAll(() => t.close());

  it('needs credentials (401) and an admin principal (403)', async () => {
    const none = await t.app.inject({ method: 'GET', url: '/v1/admin/keys' });
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="warden"');
    const { key } = await t.warden.keys.create({ subject: 'plain' }, { actor: 'test' });
    const notAdmin = await t.app.inject({ method: 'GET', url: '/v1/admin/keys', headers: { 'x-api-key': key } });
    expect(notAdmin.statusCode).toBe(403);
    expect(notAdmin.json()).toEqual({ error: 'forbidden', message: 'An administrator credential is required.' });
    const forged = await t.app.inject({
      method: 'POST',
      url: '/v1/admin/keys',
      headers: { 'x-api-key': key, 'x-auth-admin': 'true', 'content-type': 'application/json' },
      payload: { subject: 'sneaky', admin: true },
    });
    expect(forged.statusCode).toBe(403);
  });

  it('creates, shows, lists, rotates, verifies and revokes a key over HTTP', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/admin/keys',
      headers: admin(),
      payload: {
        subject: 'billing',
        name: 'billing prod',
        scopes: ['invoices.read'],
        roles: ['svc'],
        tenant: 'acme',
        metadata: { env: 'prod' },
        expiresIn: '90d',
      },
    });
    expect(created.statusCode).toBe(201);
    expect(created.headers['cache-control']).toBe('no-store');
    const { key, record } = created.json();
    expect(key).toMatch(/^wdn_/);
    expect(record).toMatchObject({
      subject: 'billing',
      name: 'billing prod',
      status: 'active',
      createdBy: 'root',
      tenant: 'acme',
    });

    const shown = await t.app.inject({ method: 'GET', url: `/v1/admin/keys/${record.id}`, headers: admin() });
    expect(shown.json()).toEqual(record);

    const listed = await t.app.inject({ method: 'GET', url: '/v1/admin/keys?subject=billing', headers: admin() });
    expect(listed.json()).toEqual({ items: [record], next: null });
    for (const body of [shown.body, listed.body]) {
      expect(body).not.toContain(key.split('_')[2]);
      expect(body).not.toMatch(/salt|secretHash|secret_hash/);
    }

    const verified = await t.app.inject({
      method: 'POST',
      url: '/v1/admin/keys/verify',
      headers: admin(),
      payload: { key },
    });
    expect(verified.json()).toMatchObject({
      valid: true,
      principal: { subject: 'billing', scopes: ['invoices.read'] },
    });

    const rotated = await t.app.inject({
      method: 'POST',
      url: `/v1/admin/keys/${record.id}/rotate`,
      headers: admin(),
      payload: { overlap: '1h' },
    });
    expect(rotated.statusCode).toBe(201);
    const rotation = rotated.json();
    expect(rotation.record).toMatchObject({ subject: 'billing', scopes: ['invoices.read'], rotatedFrom: record.id });
    expect(rotation.previous).toMatchObject({ id: record.id, rotatedTo: rotation.record.id, status: 'active' });
    // During the overlap both keys work.
    for (const k of [key, rotation.key]) {
      const decision = await t.app.inject({ url: '/v1/decide', headers: { 'x-api-key': k } });
      expect(decision.statusCode).toBe(200);
    }
    const again = await t.app.inject({
      method: 'POST',
      url: `/v1/admin/keys/${record.id}/rotate`,
      headers: admin(),
      payload: {},
    });
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toBe('conflict');

    const revoked = await t.app.inject({
      method: 'POST',
      url: `/v1/admin/keys/${rotation.record.id}/revoke`,
      headers: admin(),
      payload: { reason: 'compromised' },
    });
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json()).toMatchObject({ status: 'revoked', revokedReason: 'compromised' });
    const twice = await t.app.inject({
      method: 'POST',
      url: `/v1/admin/keys/${rotation.record.id}/revoke`,
      headers: admin(),
    });
    expect(twice.statusCode).toBe(409);
    const denied = await t.app.inject({ url: '/v1/decide', headers: { 'x-api-key': rotation.key } });
    expect(denied.json().error).toBe('revoked');
    const verifyRevoked = await t.app.inject({
      method: 'POST',
      url: '/v1/admin/keys/verify',
      headers: admin(),
      payload: { key: rotation.key },
    });
    expect(verifyRevoked.json()).toEqual({ valid: false, code: 'revoked' });
  });

  it('rotation without overlap stops the old key at once', async () => {
    const { key, record } = await t.warden.keys.create({ subject: 'roll' }, { actor: 'test' });
    const rotated = await t.app.inject({
      method: 'POST',
      url: `/v1/admin/keys/${record.id}/rotate`,
      headers: admin(),
      payload: {},
    });
    expect(rotated.statusCode).toBe(201);
    expect((await t.app.inject({ url: '/v1/decide', headers: { 'x-api-key': key } })).json().error).toBe('expired');
    expect((await t.app.inject({ url: '/v1/decide', headers: { 'x-api-key': rotated.json().key } })).statusCode).toBe(
      200,
    );
  });

  it('malformed bodies and queries are 400 invalid_request with the problem named', async () => {
    const cases: [string, string, unknown, RegExp][] = [
      ['POST', '/v1/admin/keys', {}, /subject/],
      ['POST', '/v1/admin/keys', { subject: '' }, /subject/],
      ['POST', '/v1/admin/keys', { subject: 'a', unknownField: 1 }, /unknownField/],
      ['POST', '/v1/admin/keys', { subject: 'a', expiresIn: 'soon' }, /expiresIn/],
      ['POST', '/v1/admin/keys', { subject: 'a', expiresIn: '1h', expiresAt: '2099-01-01T00:00:00Z' }, /either/],
      ['POST', '/v1/admin/keys', { subject: 'a', expiresAt: '2001-01-01T00:00:00Z' }, /future/],
      ['POST', '/v1/admin/keys', { subject: 'a', subjectType: 'robot' }, /subjectType/],
      ['POST', '/v1/admin/keys', { subject: 'a', scopes: 'read' }, /scopes/],
      ['POST', '/v1/admin/keys', { subject: 'a\u0000b' }, /control/],
      ['POST', '/v1/admin/keys', [1, 2], /body/],
      ['POST', '/v1/admin/keys/verify', { key: '' }, /key/],
      ['GET', '/v1/admin/keys?limit=0', undefined, /limit/],
      ['GET', '/v1/admin/keys?status=gone', undefined, /status/],
      ['GET', '/v1/admin/audit?limit=x', undefined, /limit/],
    ];
    for (const [method, url, payload, problem] of cases) {
      const response = await t.app.inject({
        method: method as 'GET',
        url,
        headers: admin(),
        ...(payload !== undefined ? { payload: payload as object } : {}),
      });
      expect(response.statusCode, `${method} ${url} ${JSON.stringify(payload)}`).toBe(400);
      expect(response.json().error).toBe('invalid_request');
      expect(response.json().message).toMatch(problem);
    }
  });

  it('invalid JSON, wrong media type and oversize bodies are clear 4xx', async () => {
    const badJson = await t.app.inject({
      method: 'POST',
      url: '/v1/admin/keys',
      headers: { ...admin(), 'content-type': 'application/json' },
      payload: '{"subject":',
    });
    expect(badJson.statusCode).toBe(400);
    expect(badJson.json().error).toBe('invalid_request');
    const text = await t.app.inject({
      method: 'POST',
      url: '/v1/admin/keys',
      headers: { ...admin(), 'content-type': 'text/plain' },
      payload: 'subject=a',
    });
    expect(text.statusCode).toBe(415);
    expect(text.json().error).toBe('unsupported_media_type');
    const huge = await t.app.inject({
      method: 'POST',
      url: '/v1/admin/keys',
      headers: admin(),
      payload: { subject: 'a', metadata: { blob: 'x'.repeat(2_000_000) } },
    });
    expect(huge.statusCode).toBe(413);
    const bigMetadata = await t.app.inject({
      method: 'POST',
      url: '/v1/admin/keys',
      headers: admin(),
      payload: { subject: 'a', metadata: { blob: 'x'.repeat(9000) } },
    });
    expect(bigMetadata.statusCode).toBe(400);
  });

  it('unknown ids are 404 not_found', async () => {
    for (const [method, url] of [
      ['GET', '/v1/admin/keys/nope'],
      ['POST', '/v1/admin/keys/nope/revoke'],
      ['POST', '/v1/admin/keys/nope/rotate'],
    ] as const) {
      const response = await t.app.inject({
        method,
        url,
        headers: admin(),
        ...(method === 'POST' ? { payload: {} } : {}),
      });
      expect(response.statusCode, url).toBe(404);
      expect(response.json().error).toBe('not_found');
    }
  });

  it('pages the key list with a cursor', async () => {
    for (let i = 0; i < 5; i++) await t.warden.keys.create({ subject: 'paged' }, { actor: 'test' });
    const first = (await t.app.inject({ url: '/v1/admin/keys?subject=paged&limit=3', headers: admin() })).json();
    expect(first.items).toHaveLength(3);
    expect(first.next).toBe(first.items[2].id);
    const second = (
      await t.app.inject({ url: `/v1/admin/keys?subject=paged&limit=3&after=${first.next}`, headers: admin() })
    ).json();
    expect(second.items).toHaveLength(2);
    expect(second.next).toBeNull();
  });

  it('records create, rotate, revoke and failed verification in the audit log', async () => {
    const { key, record } = await t.warden.keys.create({ subject: 'audited' }, { actor: 'test' });
    await t.app.inject({ method: 'POST', url: `/v1/admin/keys/${record.id}/revoke`, headers: admin(), payload: {} });
    await t.app.inject({ url: '/v1/decide', headers: { 'x-api-key': key } });
    await t.warden.flush(); // failure audit writes are fire-and-forget
    const events = (await t.app.inject({ url: `/v1/admin/audit?targetId=${record.id}`, headers: admin() })).json()
      .items;
    expect(events.map((e: { action: string }) => e.action)).toEqual([
      'credential.verify_failed',
      'api_key.revoke',
      'api_key.create',
    ]);
    expect(events[0]).toMatchObject({ outcome: 'failure', reason: 'revoked', targetType: 'api_key' });
    expect(events[1]).toMatchObject({ actor: 'root', outcome: 'success' });
  });

  it('publishes an OpenAPI 3.1 document covering the admin routes', async () => {
    const doc = (await t.app.inject({ url: '/v1/openapi.json' })).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/v1/admin/audit',
      '/v1/admin/clients',
      '/v1/admin/clients/{id}',
      '/v1/admin/clients/{id}/disable',
      '/v1/admin/clients/{id}/enable',
      '/v1/admin/clients/{id}/rotate-secret',
      '/v1/admin/keys',
      '/v1/admin/keys/verify',
      '/v1/admin/keys/{id}',
      '/v1/admin/keys/{id}/revoke',
      '/v1/admin/keys/{id}/rotate',
      '/v1/admin/pins',
      '/v1/admin/pins/{subject}',
      '/v1/admin/signing-keys',
      '/v1/admin/signing-keys/rotate',
    ]);
    expect(Object.keys(doc.paths['/v1/admin/keys'])).toEqual(['post', 'get']);
    expect(doc.paths['/v1/admin/keys'].post.requestBody.content['application/json'].schema.required).toEqual([
      'subject',
    ]);
    expect(doc.paths['/v1/admin/keys'].get.parameters.map((p: { name: string }) => p.name)).toContain('status');
  });
});
