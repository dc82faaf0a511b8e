import { generateKeyPairSync } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';
import { testDialects } from './helpers/databases.js';

const dialects = await testDialects();
const ISSUER = 'https://warden.test';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/**
 * Warden's own access tokens on the decision path: issued by the real token endpoint, presented to `/v1/decide`
 * and to `warden.decide` as a Bearer token. The malicious tokens (SECURITY.md, tokens) are crafted with jose.
 */
describe.each(dialects)('access token decisions on %s', (dialect) => {
  let t: TestApp;
  let reader: { client_id: string; client_secret: string };
  let ordersAudience: { client_id: string; client_secret: string };

  const tokenFor = async (client: { client_id: string; client_secret: string }, extra: Record<string, string> = {}) => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/oauth2/token',
      headers: {
        ...FORM,
        authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`,
      },
      payload: new URLSearchParams({ grant_type: 'client_credentials', ...extra }).toString(),
    });
    expect(response.statusCode, response.body).toBe(200);
    return response.json().access_token as string;
  };
  const decideWith = (token: string) =>
    t.app.inject({ method: 'GET', url: '/v1/decide/orders/7', headers: { authorization: `Bearer ${token}` } });
  const attributes = (token: string) => ({
    method: 'GET',
    host: 'api.test',
    path: '/orders/7',
    headers: { authorization: `Bearer ${token}` },
    peer: '127.0.0.1',
  });

  beforeAll(async () => {
    t = await startTestApp(dialect, {
      frozenClock: true,
      background: false,
      config: { issuer: ISSUER, tokens: { access_token_ttl: '10m', clock_skew: '30s' } },
    });
    const create = (name: string, input: Record<string, unknown>) =>
      t.warden.clients.create({ name, ...input }, { actor: 'test' });
    const issued = await create('orders-reader', {
      scopes: ['orders.read'],
      tenant: 'acme',
      roles: ['svc'],
    });
    reader = { client_id: issued.client_id, client_secret: issued.client_secret };
    const other = await create('for-orders-only', { scopes: ['orders.read'], audiences: ['https://orders.test'] });
    ordersAudience = { client_id: other.client_id, client_secret: other.client_secret };
  });
  afterAll(() => t.close());

  it('allows a token from the token endpoint, with identity headers naming the client and the jti', async () => {
    const token = await tokenFor(reader);
    const { jti, exp } = decodeJwt(token);
    const response = await decideWith(token);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers).toMatchObject({
      'x-auth-subject': reader.client_id,
      'x-auth-subject-type': 'service',
      'x-auth-tenant': 'acme',
      'x-auth-roles': 'svc',
      'x-auth-scopes': 'orders.read',
      'x-auth-admin': 'false',
      'x-auth-credential': 'jwt',
      'x-auth-key-id': jti,
    });
    expect(response.json().credential).toEqual({
      kind: 'jwt',
      id: jti,
      issuer: ISSUER,
      expiresAt: new Date(exp! * 1000).toISOString(),
    });
  });

  it('answers a repeated token from the verified-token cache, synchronously', async () => {
    const token = await tokenFor(reader);
    const first = t.warden.decideNow(attributes(token));
    expect(first).toBeInstanceOf(Promise);
    expect((await first).allow).toBe(true);
    const again = t.warden.decideNow(attributes(token));
    expect(again).not.toBeInstanceOf(Promise);
    expect((again as Awaited<typeof first>).allow).toBe(true);
  });

  it('SECURITY.md #31: a token allowed without requirements is still checked against the next requirements', async () => {
    const token = await tokenFor(reader);
    expect((await t.warden.decide(attributes(token))).allow).toBe(true);
    const denied = await t.warden.decide(attributes(token), { scopes: ['orders.write'] });
    expect(denied).toMatchObject({ allow: false, code: 'insufficient_scope' });
    expect((await t.warden.decide(attributes(token), { scopes: ['orders.read'] })).allow).toBe(true);
    expect(await t.warden.decide(attributes(token), { tenant: 'other' })).toMatchObject({ allow: false });
  });

  it('refuses an expired token (exp + clock skew past), even one it has verified before', async () => {
    const token = await tokenFor(reader);
    expect((await decideWith(token)).statusCode).toBe(200);
    const { exp } = decodeJwt(token);
    const start = t.clock.now;
    try {
      t.clock.now = exp! * 1000 + 10_000; // within the skew: still valid, though never from the cache
      expect((await decideWith(token)).statusCode).toBe(200);
      t.clock.now = exp! * 1000 + 31_000;
      const response = await decideWith(token);
      expect(response.statusCode).toBe(401);
      expect(response.json().error).toBe('expired');
    } finally {
      t.clock.now = start;
    }
  });

  it('refuses a token for an audience this Warden does not accept', async () => {
    const token = await tokenFor(ordersAudience);
    expect(decodeJwt(token).aud).toBe('https://orders.test');
    const response = await decideWith(token);
    expect(response.statusCode).toBe(401);
    expect(response.json().error).toBe('invalid_credentials');
  });

  it('SECURITY.md tokens: tampered, unsigned, HMAC-with-the-public-key, foreign-key, wrong-typ and foreign-issuer tokens are 401', async () => {
    const token = await tokenFor(reader);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const claims = decodeJwt(token);
    const { kid } = decodeProtectedHeader(token);
    const jwks = (await t.app.inject({ url: '/.well-known/jwks.json' })).json() as { keys: { kid: string }[] };
    const published = jwks.keys.find((key) => key.kid === kid)!;
    const foreign = generateKeyPairSync('ed25519').privateKey;
    const raise = Buffer.from(JSON.stringify({ ...claims, scope: 'orders.read orders.write', admin: true }));
    const flipped = signature.startsWith('A') ? `B${signature.slice(1)}` : `A${signature.slice(1)}`;

    const crafted: [string, string][] = [
      ['payload changed, signature kept', `${header}.${raise.toString('base64url')}.${signature}`],
      ['signature altered', `${header}.${payload}.${flipped}`],
      ['signature removed', `${header}.${payload}.`],
      ['alg none', new UnsecuredJWT(claims).encode()],
      [
        'HS256 keyed with the published public key',
        await new SignJWT(claims)
          .setProtectedHeader({ alg: 'HS256', kid, typ: 'at+jwt' })
          .sign(new TextEncoder().encode(JSON.stringify(published))),
      ],
      [
        'signed by a foreign key under the real kid',
        await new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', kid, typ: 'at+jwt' }).sign(foreign),
      ],
      [
        'unknown kid',
        await new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', kid: 'nope', typ: 'at+jwt' }).sign(foreign),
      ],
      ['no kid', await new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt' }).sign(foreign)],
      [
        'signed by Warden, but an ID-token type',
        await t.warden.signingKeys.signer.sign({ ...claims, jti: 'typ-test' }, 'JWT'),
      ],
      [
        'a foreign issuer',
        await new SignJWT({ ...claims, iss: 'https://evil.test' })
          .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'at+jwt' })
          .sign(foreign),
      ],
    ];
    for (const [name, forged] of crafted) {
      const response = await decideWith(forged);
      expect(response.statusCode, name).toBe(401);
      expect(response.json().error, name).toBe('invalid_credentials');
      expect(response.headers['www-authenticate'], name).toContain('error="invalid_token"');
      expect(response.body, name).not.toContain(forged.slice(0, 40));
    }
    // The genuine token still works: nothing above poisoned the cache.
    expect((await decideWith(token)).statusCode).toBe(200);
  });

  it('a token missing the claims of a principal, or with a claim of the wrong type, is refused', async () => {
    const base = decodeJwt(await tokenFor(reader));
    const sign = (claims: Record<string, unknown>) => t.warden.signingKeys.signer.sign(claims, 'at+jwt');
    const { jti: _jti, ...withoutJti } = base;
    const cases: [string, Record<string, unknown>][] = [
      ['no jti', withoutJti],
      ['roles not a list', { ...base, jti: 'r1', roles: 'admin' }],
      ['admin as a string', { ...base, jti: 'a1', admin: 'true' }],
      ['scope as a list', { ...base, jti: 's1', scope: ['orders.read'] }],
    ];
    for (const [name, claims] of cases) {
      const response = await decideWith(await sign(claims));
      expect(response.statusCode, name).toBe(401);
      expect(response.json().error, name).toBe('invalid_credentials');
    }
  });

  it('tokens signed before a rotation still verify; API keys work beside tokens', async () => {
    const before = await tokenFor(reader);
    await t.warden.signingKeys.service.rotate({ now: true });
    const after = await tokenFor(reader);
    expect(decodeProtectedHeader(after).kid).not.toBe(decodeProtectedHeader(before).kid);
    expect((await decideWith(before)).statusCode).toBe(200);
    expect((await decideWith(after)).statusCode).toBe(200);
    const apiKey = await t.warden.keys.create({ subject: 'k' }, { actor: 'test' });
    const byKey = await t.app.inject({ url: '/v1/decide', headers: { authorization: `Bearer ${apiKey.key}` } });
    expect(byKey.headers['x-auth-credential']).toBe('api_key');
  });
});
