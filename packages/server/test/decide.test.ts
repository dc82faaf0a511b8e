import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseApiKey } from '../src/issue/api-key-format.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { testDialects } from './helpers/databases.js';
import { flipOneCharacter, sameIdOtherSecret } from './helpers/requests.js';

const dialects = await testDialects();

describe.each(dialects)('decision endpoint on %s', (dialect) => {
  let t: TestApp;
  let key: string;
  let keyId: string;

  beforeAll(async () => {
    t = await startTestApp(dialect, { frozenClock: true });
    const issued = await t.warden.keys.create(
      {
        subject: 'orders-svc',
        subjectType: 'service',
        tenant: 'acme',
        roles: ['reader', 'writer'],
        scopes: ['orders.read', 'orders.write'],
        metadata: { team: 'payments' },
        expiresIn: '30d',
      },
      { actor: 'test' },
    );
    key = issued.key;
    keyId = issued.record.id;
  });
  afterAll(() => t.close());

  it('allows a valid key from Authorization: Bearer with every identity header and the principal as JSON', async () => {
    const response = await t.app.inject({
      method: 'GET',
      url: '/v1/decide',
      headers: { authorization: `Bearer ${key}` },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers).toMatchObject({
      'x-auth-subject': 'orders-svc',
      'x-auth-subject-type': 'service',
      'x-auth-tenant': 'acme',
      'x-auth-roles': 'reader,writer',
      'x-auth-scopes': 'orders.read orders.write',
      'x-auth-admin': 'false',
      'x-auth-credential': 'api_key',
      'x-auth-key-id': keyId,
      'cache-control': 'no-store',
    });
    expect(response.json()).toEqual({
      subject: 'orders-svc',
      subjectType: 'service',
      tenant: 'acme',
      admin: false,
      roles: ['reader', 'writer'],
      scopes: ['orders.read', 'orders.write'],
      metadata: { team: 'payments' },
      credential: { kind: 'api_key', id: keyId, expiresAt: new Date(t.clock.now + 30 * 86_400_000).toISOString() },
    });
  });

  it('allows the same key from X-API-Key, on any method and on /v1/decide/* paths', async () => {
    for (const [method, url] of [
      ['GET', '/v1/decide'],
      ['POST', '/v1/decide/orders/42'],
      ['DELETE', '/v1/decide/x?y=1'],
      ['PUT', '/v1/decide/'],
    ] as const) {
      const response = await t.app.inject({ method, url, headers: { 'x-api-key': key } });
      expect(response.statusCode, `${method} ${url}`).toBe(200);
    }
  });

  it('ignores a request body sent to the decision endpoint, whatever its type', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/v1/decide/upload',
      headers: { 'x-api-key': key, 'content-type': 'application/json' },
      payload: '{not json',
    });
    expect(response.statusCode).toBe(200);
  });

  it('answers 401 missing_credentials with a bare RFC 6750 challenge', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/v1/decide' });
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="warden"');
    expect(response.json()).toEqual({ error: 'missing_credentials', message: 'No credentials were presented.' });
  });

  it('answers 401 invalid_token for a wrong secret with the exact challenge', async () => {
    const withChecksum = sameIdOtherSecret(key);
    expect(parseApiKey(withChecksum)?.id).toBe(keyId);
    const response = await t.app.inject({
      method: 'GET',
      url: '/v1/decide',
      headers: { authorization: `Bearer ${withChecksum}` },
    });
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toBe(
      'Bearer realm="warden", error="invalid_token", error_description="The credentials are not valid."',
    );
    expect(response.json().error).toBe('invalid_credentials');
  });

  it('bad input: each gets the right 4xx and code, never a 5xx', async () => {
    const cases: [string, Record<string, string | string[]>, number, string][] = [
      ['empty bearer', { authorization: 'Bearer ' }, 401, 'malformed_credentials'],
      ['empty header', { authorization: '' }, 401, 'malformed_credentials'],
      ['scheme only', { authorization: 'Bearer' }, 401, 'malformed_credentials'],
      ['huge (over 8 KiB)', { authorization: `Bearer ${'a'.repeat(9000)}` }, 401, 'malformed_credentials'],
      ['non-ASCII', { authorization: 'Bearer wdn_ключ' }, 401, 'malformed_credentials'],
      ['NUL byte', { 'x-api-key': `${key.slice(0, 10)}\u0000${key.slice(10)}` }, 401, 'malformed_credentials'],
      ['wrong scheme', { authorization: `Token ${key}` }, 401, 'malformed_credentials'],
      [
        'Basic without a colon',
        { authorization: `Basic ${Buffer.from(key).toString('base64')}` },
        401,
        'malformed_credentials',
      ],
      ['doubly specified', { authorization: `Bearer ${key}`, 'x-api-key': key }, 401, 'malformed_credentials'],
      ['repeated X-API-Key', { 'x-api-key': [key, key] }, 401, 'malformed_credentials'],
      ['flipped character', { 'x-api-key': flipOneCharacter(key) }, 401, 'malformed_credentials'],
      ['random text', { 'x-api-key': 'hello-world' }, 401, 'malformed_credentials'],
      ['checksum cut off', { 'x-api-key': key.slice(0, -6) }, 401, 'malformed_credentials'],
    ];
    for (const [name, headers, status, code] of cases) {
      const response = await t.app.inject({ method: 'GET', url: '/v1/decide', headers });
      expect(response.statusCode, name).toBe(status);
      expect(response.json().error, name).toBe(code);
      expect(response.headers['www-authenticate'], name).toMatch(/^Bearer realm="warden"/);
    }
  });

  it('a well-formed key with an unknown id is invalid_credentials', async () => {
    const { generateApiKey } = await import('../src/issue/api-key-format.js');
    const response = await t.app.inject({
      method: 'GET',
      url: '/v1/decide',
      headers: { authorization: `Bearer ${generateApiKey('wdn').key}` },
    });
    expect(response.statusCode).toBe(401);
    expect(response.json().error).toBe('invalid_credentials');
  });

  it('an expired key is 401 expired, at the exact expiry instant (frozen clock)', async () => {
    const issued = await t.warden.keys.create({ subject: 'short', expiresIn: '1h' }, { actor: 'test' });
    const ask = () => t.app.inject({ method: 'GET', url: '/v1/decide', headers: { 'x-api-key': issued.key } });
    expect((await ask()).statusCode).toBe(200);
    t.clock.now += 3_600_000 - 1;
    expect((await ask()).statusCode).toBe(200);
    t.clock.now += 1;
    const response = await ask();
    expect(response.statusCode).toBe(401);
    expect(response.json().error).toBe('expired');
    expect(response.headers['www-authenticate']).toContain('error="invalid_token"');
  });

  it('a revoked key is 401 revoked at once on this instance', async () => {
    const issued = await t.warden.keys.create({ subject: 'doomed' }, { actor: 'test' });
    const ask = () => t.app.inject({ method: 'GET', url: '/v1/decide', headers: { 'x-api-key': issued.key } });
    expect((await ask()).statusCode).toBe(200);
    await t.warden.keys.revoke(issued.record.id, { reason: 'test' }, { actor: 'test' });
    const response = await ask();
    expect(response.statusCode).toBe(401);
    expect(response.json().error).toBe('revoked');
  });

  it('percent-encodes identity header values that are not visible ASCII', async () => {
    const issued = await t.warden.keys.create({ subject: 'José', tenant: 'a%b' }, { actor: 'test' });
    const response = await t.app.inject({ method: 'GET', url: '/v1/decide', headers: { 'x-api-key': issued.key } });
    expect(response.headers['x-auth-subject']).toBe('Jos%C3%A9');
    expect(response.headers['x-auth-tenant']).toBe('a%25b');
    expect(response.json().subject).toBe('José');
  });

  it('health, readiness and metrics', async () => {
    expect((await t.app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await t.app.inject({ url: '/readyz' })).json()).toEqual({ status: 'ready' });
    const metrics = await t.app.inject({ url: '/metrics' });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.body).toMatch(/warden_decisions_total\{outcome="allow",credential="api_key",code="ok"\} \d+/);
    expect(metrics.body).toMatch(
      /warden_decisions_total\{outcome="deny",credential="none",code="malformed_credentials"\} \d+/,
    );
    expect(metrics.body).toContain('warden_decision_duration_seconds_bucket');
  });

  it('unknown routes are 404 JSON', async () => {
    const response = await t.app.inject({ url: '/nope' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ error: 'not_found', message: 'No such route.' });
  });
});
