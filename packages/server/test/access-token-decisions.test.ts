import { sign as cryptoSign, generateKeyPairSync } from 'node:crypto';
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
    // This engine runs no background tasks: one read of the revocation deny-list makes its copy fresh.
    await t.warden.syncKeyChanges();
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

  it('SECURITY.md #1, #2, #4, #10, #11: tampered, unsigned, HMAC-with-the-public-key, foreign-key, hostile-kid, wrong-typ and foreign-issuer tokens are 401', async () => {
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
        'a kid that is a path',
        await new SignJWT(claims)
          .setProtectedHeader({ alg: 'EdDSA', kid: '../../../../dev/null', typ: 'at+jwt' })
          .sign(foreign),
      ],
      [
        'a kid that is SQL',
        await new SignJWT(claims)
          .setProtectedHeader({ alg: 'EdDSA', kid: "x' OR '1'='1", typ: 'at+jwt' })
          .sign(foreign),
      ],
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

  it('SECURITY.md #5, #6, #7, #8, #9: header keys ignored, crit refused, JWE refused, times and audience checked', async () => {
    const claims = decodeJwt(await tokenFor(reader));
    const { kid } = decodeProtectedHeader(await tokenFor(reader));
    const foreign = generateKeyPairSync('ed25519');
    const foreignJwk = foreign.publicKey.export({ format: 'jwk' });
    const sign = (header: Record<string, unknown>, body: Record<string, unknown> = claims) =>
      new SignJWT(body).setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', ...header }).sign(foreign.privateKey);
    // jose refuses to sign a crit it does not know: these are put together by hand.
    const signRaw = (header: Record<string, unknown>) => {
      const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
      return `${input}.${cryptoSign(null, Buffer.from(input), foreign.privateKey).toString('base64url')}`;
    };
    const own = (body: Record<string, unknown>, jti: string) =>
      t.warden.signingKeys.signer.sign({ ...body, jti }, 'at+jwt');
    const nowSeconds = Math.floor(t.clock.now / 1000);
    const cases: [string, string, string][] = [
      ['#5 an embedded jwk names the signing key', await sign({ kid, jwk: foreignJwk }), 'invalid_credentials'],
      [
        '#5 a jku points at the signing key',
        await sign({ kid, jku: 'https://evil.test/jwks.json' }),
        'invalid_credentials',
      ],
      [
        '#5 an x5u points at the signing key',
        await sign({ kid, x5u: 'https://evil.test/cert.pem' }),
        'invalid_credentials',
      ],
      [
        '#6 crit with an unknown extension',
        signRaw({ alg: 'EdDSA', kid, typ: 'at+jwt', crit: ['x-ext'], 'x-ext': 1 }),
        'invalid_credentials',
      ],
      ['#6 an empty crit', signRaw({ alg: 'EdDSA', kid, typ: 'at+jwt', crit: [] }), 'invalid_credentials'],
      ['#6 crit naming alg', signRaw({ alg: 'EdDSA', kid, typ: 'at+jwt', crit: ['alg'] }), 'invalid_credentials'],
      ['#8 nbf beyond the skew', await own({ ...claims, nbf: nowSeconds + 120 }, 'nbf-1'), 'invalid_credentials'],
      ['#8 exp just past the skew', await own({ ...claims, exp: nowSeconds - 31 }, 'exp-1'), 'expired'],
      ['#9 no aud', await own({ ...claims, aud: undefined }, 'aud-1'), 'invalid_credentials'],
      [
        '#9 aud of another service',
        await own({ ...claims, aud: 'https://billing.test' }, 'aud-2'),
        'invalid_credentials',
      ],
    ];
    for (const [name, token, code] of cases) {
      const response = await decideWith(token);
      expect(response.statusCode, name).toBe(401);
      expect(response.json().error, name).toBe(code);
    }
    // Inside the skew is accepted: exp 29 s ago, nbf 29 s ahead.
    expect((await decideWith(await own({ ...claims, exp: nowSeconds - 29 }, 'exp-2'))).statusCode).toBe(200);
    expect((await decideWith(await own({ ...claims, nbf: nowSeconds + 29 }, 'nbf-2'))).statusCode).toBe(200);
    // #7: a JWE (five parts) is not a JWS: no authenticator takes it as a token.
    const jwe = `${'eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0'}..${'a'.repeat(16)}.${'b'.repeat(20)}.${'c'.repeat(22)}`;
    const response = await decideWith(jwe);
    expect(response.statusCode).toBe(401);
    expect(response.json().error).toBe('malformed_credentials');
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

describe('Warden tokens signed with ES256', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('sqlite', { config: { issuer: ISSUER, signing_keys: { algorithm: 'ES256' } } });
  });
  afterAll(() => t.close());

  it('SECURITY.md #3: a signature of 64 zero bytes (r = s = 0, CVE-2022-21449) is refused', async () => {
    const created = await t.warden.clients.create({ name: 'es', scopes: ['a'] }, { actor: 'test' });
    const issued = await t.app.inject({
      method: 'POST',
      url: '/oauth2/token',
      headers: {
        ...FORM,
        authorization: `Basic ${Buffer.from(`${created.client_id}:${created.client_secret}`).toString('base64')}`,
      },
      payload: 'grant_type=client_credentials',
    });
    const token = issued.json().access_token as string;
    expect(decodeProtectedHeader(token).alg).toBe('ES256');
    const ask = (value: string) =>
      t.app.inject({ method: 'GET', url: '/v1/decide', headers: { authorization: `Bearer ${value}` } });
    expect((await ask(token)).statusCode).toBe(200);
    const [header, payload] = token.split('.') as [string, string];
    const zeroed = await ask(`${header}.${payload}.${Buffer.alloc(64).toString('base64url')}`);
    expect(zeroed.statusCode).toBe(401);
    expect(zeroed.json().error).toBe('invalid_credentials');
  });
});
