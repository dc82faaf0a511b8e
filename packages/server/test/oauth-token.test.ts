import { CredentialManager } from '@warden/sdk/credentials';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/http/app.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { freePort } from './helpers/cli.js';
import { testDialects } from './helpers/databases.js';
import { startTestWarden } from './helpers/engine.js';
import { clientBasic, type IssuedClient } from './helpers/requests.js';

const dialects = await testDialects();
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const MINUTE = 60_000;

/** A JSON answer's body. */
// biome-ignore lint/suspicious/noExplicitAny: parsed JSON; the assertions check its shape
const json = async (answer: Response | Promise<Response>) => (await (await answer).json()) as Record<string, any>;

const basic = clientBasic;

type Issued = IssuedClient;

/**
 * `POST /oauth2/token` and the client credentials grant through a listening `buildApp`, with plain `fetch` as the
 * client and jose verifying the tokens against the served JWKS (openid-client-interop.test.ts has an independent
 * client).
 */
describe.each(dialects)('the token endpoint on %s', (dialect) => {
  let t: TestApp;
  let base: string;
  let orders: Issued;

  const token = (body: string | Record<string, string>, headers: Record<string, string> = {}, query = '') =>
    fetch(`${base}/oauth2/token${query}`, {
      method: 'POST',
      headers: { ...FORM, ...headers },
      body: typeof body === 'string' ? body : new URLSearchParams(body).toString(),
    });
  const clientCredentials = (client: Issued, extra: Record<string, string> = {}) =>
    token(
      { grant_type: 'client_credentials', ...extra },
      { authorization: basic(client.client_id, client.client_secret) },
    );
  const verify = (accessToken: string, audience: string) =>
    jwtVerify(accessToken, createRemoteJWKSet(new URL(`${base}/.well-known/jwks.json`)), {
      issuer: base,
      audience,
      typ: 'at+jwt',
      currentDate: new Date(t.clock.now),
    });
  // Every client here has a secret.
  const register = async (input: Parameters<TestApp['warden']['clients']['create']>[0]) =>
    (await t.warden.clients.create(input, { actor: 'test' })) as Issued;

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    t = await startTestApp(dialect, {
      frozenClock: true,
      background: false,
      config: { issuer: base, tokens: { access_token_ttl: '10m' }, audit: { failures_per_minute: 3 } },
    });
    await t.app.listen({ host: '127.0.0.1', port });
    orders = await register({
      name: 'orders',
      scopes: ['orders.read', 'orders.write'],
      audiences: ['orders', 'https://orders.example.com/api'],
      tenant: 'acme',
      roles: ['svc', 'billing:read'],
      tokenTtl: '5m',
    });
  });
  afterAll(() => t.close());

  it('issues an RFC 9068 JWT that verifies against /.well-known/jwks.json, found through discovery', async () => {
    const metadata = await json(fetch(`${base}/.well-known/oauth-authorization-server`));
    expect(metadata.token_endpoint).toBe(`${base}/oauth2/token`);
    const answer = await fetch(metadata.token_endpoint, {
      method: 'POST',
      headers: { ...FORM, authorization: basic(orders.client_id, orders.client_secret) },
      body: 'grant_type=client_credentials',
    });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.headers.get('pragma')).toBe('no-cache');
    expect(answer.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const body = await json(answer);
    expect(body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 300,
      scope: 'orders.read orders.write',
    });

    const { payload, protectedHeader } = await verify(body.access_token, 'orders');
    expect(protectedHeader).toEqual({ alg: 'EdDSA', kid: expect.any(String), typ: 'at+jwt' });
    const iat = Math.floor(t.clock.now / 1000);
    expect(payload).toEqual({
      iss: base,
      sub: orders.client_id,
      aud: 'orders',
      iat,
      exp: iat + 300,
      jti: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      client_id: orders.client_id,
      scope: 'orders.read orders.write',
      tenant: 'acme',
      roles: ['svc', 'billing:read'],
    });
    const again = await json(clientCredentials(orders));
    expect(decodeJwt(again.access_token).jti).not.toBe(payload.jti);
  });

  it('the discovery documents name the endpoint, its grant and auth methods, and nothing of an authorization endpoint', async () => {
    for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
      const metadata = await json(fetch(`${base}${path}`));
      expect(metadata).toMatchObject({
        issuer: base,
        token_endpoint: `${base}/oauth2/token`,
        grant_types_supported: ['client_credentials', 'refresh_token'],
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
      });
      for (const absent of ['authorization_endpoint', 'response_types_supported', 'scopes_supported']) {
        expect(metadata).not.toHaveProperty(absent);
      }
    }
  });

  it("the SDK's oauth2_client_credentials provider gets a token through discovery", async () => {
    const manager = new CredentialManager({
      credentials: {
        orders: {
          type: 'oauth2_client_credentials',
          issuer: base,
          client_id: orders.client_id,
          client_secret: orders.client_secret,
          scopes: ['orders.read'],
          audience: 'https://orders.example.com/api',
        },
      },
    });
    try {
      const accessToken = await manager.getToken('orders');
      const { payload } = await verify(accessToken, 'https://orders.example.com/api');
      expect(payload.scope).toBe('orders.read');
    } finally {
      await manager.close();
    }
  });

  it('client_secret_post for a client registered so; each client must use its own method', async () => {
    const posting = await register({ name: 'posting', authMethod: 'client_secret_post' });
    const viaBody = await token({
      grant_type: 'client_credentials',
      client_id: posting.client_id,
      client_secret: posting.client_secret,
    });
    expect(viaBody.status).toBe(200);
    // Without audiences or scopes: the issuer is the audience, and there is no scope.
    const body = await json(viaBody);
    expect(body).not.toHaveProperty('scope');
    const { payload } = await verify(body.access_token, base);
    expect(payload).not.toHaveProperty('scope');
    expect(payload).not.toHaveProperty('tenant');
    expect(payload).not.toHaveProperty('roles');
    expect(payload.exp! - payload.iat!).toBe(600); // tokens.access_token_ttl

    const viaBasic = await clientCredentials(posting);
    expect(viaBasic.status).toBe(401);
    expect(await json(viaBasic)).toEqual({
      error: 'invalid_client',
      error_description: 'The client is registered to authenticate with client_secret_post.',
    });
    const basicViaBody = await token({
      grant_type: 'client_credentials',
      client_id: orders.client_id,
      client_secret: orders.client_secret,
    });
    expect(basicViaBody.status).toBe(401);
    expect((await json(basicViaBody)).error_description).toContain('client_secret_basic');
  });

  it('reads Basic credentials as form-urlencoded (RFC 6749 2.3.1) and refuses Basic that does not decode', async () => {
    const escaped = [...orders.client_id].map((c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).join('');
    const encoded = `Basic ${Buffer.from(`${escaped}:${orders.client_secret}`).toString('base64')}`;
    expect((await token('grant_type=client_credentials', { authorization: encoded })).status).toBe(200);

    const valid = basic(orders.client_id, orders.client_secret);
    for (const authorization of [
      `${valid}x`, // not canonical base64: Node would drop the stray character
      `Basic ${Buffer.from(`${orders.client_id}${orders.client_secret}`).toString('base64')}`, // no colon
      `Basic ${Buffer.from(`${orders.client_id}:%zz`).toString('base64')}`, // bad percent-encoding
      'Basic',
    ]) {
      const answer = await token('grant_type=client_credentials', { authorization });
      expect(answer.status, authorization).toBe(401);
      expect(answer.headers.get('www-authenticate')).toBe('Basic realm="warden"');
      expect((await json(answer)).error).toBe('invalid_client');
    }
    const bearer = await token('grant_type=client_credentials', { authorization: 'Bearer abc' });
    expect(bearer.status).toBe(401);
  });

  it('unknown client and wrong secret: the same 401 with a Basic challenge; a disabled client is refused at once', async () => {
    const answers = [];
    for (const client of [
      { client_id: 'UnknownClient123', client_secret: orders.client_secret },
      {
        client_id: orders.client_id,
        client_secret: `${orders.client_secret.slice(0, -1)}${orders.client_secret.endsWith('0') ? '1' : '0'}`,
      },
    ]) {
      const answer = await clientCredentials(client);
      answers.push({
        status: answer.status,
        challenge: answer.headers.get('www-authenticate'),
        cache: answer.headers.get('cache-control'),
        body: await json(answer),
      });
    }
    expect(answers[0]).toEqual({
      status: 401,
      challenge: 'Basic realm="warden"',
      cache: 'no-store',
      body: { error: 'invalid_client', error_description: 'Client authentication failed.' },
    });
    expect(answers[1]).toEqual(answers[0]);

    const paused = await register({ name: 'paused' });
    expect((await clientCredentials(paused)).status).toBe(200);
    await t.warden.clients.disable(paused.client_id, { actor: 'test' });
    const refused = await clientCredentials(paused);
    expect(refused.status).toBe(401);
    expect(await json(refused)).toEqual({ error: 'invalid_client', error_description: 'The client is disabled.' });
    await t.warden.clients.enable(paused.client_id, { actor: 'test' });
    expect((await clientCredentials(paused)).status).toBe(200);
  });

  it('scope: a subset of the allowed scopes, all of them by default; anything beyond is invalid_scope', async () => {
    const subset = await json(clientCredentials(orders, { scope: 'orders.write' }));
    expect(subset.scope).toBe('orders.write');
    expect(decodeJwt(subset.access_token).scope).toBe('orders.write');
    // An empty parameter counts as omitted (RFC 6749 3.1): all allowed scopes.
    const empty = await json(
      token('grant_type=client_credentials&scope=', { authorization: basic(orders.client_id, orders.client_secret) }),
    );
    expect(empty.scope).toBe('orders.read orders.write');

    for (const scope of ['orders.read orders.delete', 'admin', ' ', 'orders.read\torders.write', 'a"b']) {
      const answer = await clientCredentials(orders, { scope });
      expect(answer.status, scope).toBe(400);
      expect((await json(answer)).error).toBe('invalid_scope');
    }
  });

  it("audience and resource: one of the client's (the first by default, the issuer when it has none), else invalid_target", async () => {
    const byAudience = await json(clientCredentials(orders, { audience: 'https://orders.example.com/api' }));
    await verify(byAudience.access_token, 'https://orders.example.com/api');
    const byResource = await json(clientCredentials(orders, { resource: 'https://orders.example.com/api' }));
    expect(decodeJwt(byResource.access_token).aud).toBe('https://orders.example.com/api');

    const cases: [Record<string, string> | string, string][] = [
      [{ audience: 'billing' }, 'invalid_target'],
      [{ audience: base }, 'invalid_target'], // the issuer only for clients without audiences
      [{ resource: 'https://billing.example.com/' }, 'invalid_target'],
      [{ resource: 'orders' }, 'invalid_target'], // not an absolute URI (RFC 8707)
      [{ resource: 'https://orders.example.com/api#x' }, 'invalid_target'],
      [
        'resource=https%3A%2F%2Forders.example.com%2Fapi&resource=https%3A%2F%2Forders.example.com%2Fapi',
        'invalid_target',
      ],
      [{ audience: 'orders', resource: 'https://orders.example.com/api' }, 'invalid_request'],
    ];
    for (const [extra, error] of cases) {
      const body =
        typeof extra === 'string'
          ? `grant_type=client_credentials&${extra}`
          : new URLSearchParams({ grant_type: 'client_credentials', ...extra }).toString();
      const answer = await token(body, { authorization: basic(orders.client_id, orders.client_secret) });
      expect(answer.status, JSON.stringify(extra)).toBe(400);
      expect((await json(answer)).error).toBe(error);
    }
  });

  it('refuses what is not a client credentials request by a client allowed to make one', async () => {
    const auth = { authorization: basic(orders.client_id, orders.client_secret) };
    const refreshOnly = await register({ name: 'refresh only', grantTypes: ['refresh_token'] });
    const cases: [string, () => Promise<Response>, number, string][] = [
      [
        'a JSON body',
        () =>
          fetch(`${base}/oauth2/token`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...auth },
            body: JSON.stringify({ grant_type: 'client_credentials' }),
          }),
        400,
        'invalid_request',
      ],
      ['no body', () => fetch(`${base}/oauth2/token`, { method: 'POST', headers: auth }), 400, 'invalid_request'],
      ['no grant_type', () => token('scope=orders.read', auth), 400, 'invalid_request'],
      [
        'a repeated parameter',
        () => token('grant_type=client_credentials&grant_type=client_credentials', auth),
        400,
        'invalid_request',
      ],
      [
        'the secret in the URL',
        () => token('grant_type=client_credentials', auth, `?client_secret=${orders.client_secret}`),
        400,
        'invalid_request',
      ],
      [
        'two authentication methods',
        () => token({ grant_type: 'client_credentials', client_secret: orders.client_secret }, auth),
        400,
        'invalid_request',
      ],
      [
        'another client_id in the body than in Basic',
        () => token({ grant_type: 'client_credentials', client_id: 'UnknownClient123' }, auth),
        400,
        'invalid_request',
      ],
      [
        'the password grant',
        () => token('grant_type=password&username=a&password=b', auth),
        400,
        'unsupported_grant_type',
      ],
      [
        'the refresh_token grant, by a client not registered for it',
        () => token('grant_type=refresh_token&refresh_token=x', auth),
        400,
        'unauthorized_client',
      ],
      ['no client authentication', () => token('grant_type=client_credentials'), 401, 'invalid_client'],
      [
        'a client_id without a secret',
        () => token({ grant_type: 'client_credentials', client_id: orders.client_id }),
        401,
        'invalid_client',
      ],
      ['a client without the grant', () => clientCredentials(refreshOnly), 400, 'unauthorized_client'],
    ];
    for (const [name, send, status, error] of cases) {
      const answer = await send();
      expect(answer.status, name).toBe(status);
      expect(answer.headers.get('cache-control'), name).toBe('no-store');
      const body = await json(answer);
      expect(Object.keys(body).sort(), name).toEqual(['error', 'error_description']);
      expect(body.error, name).toBe(error);
      expect(JSON.stringify(body), name).not.toContain(orders.client_secret);
    }
  });

  it('a rotated secret keeps working for the overlap, then only the new one does', async () => {
    const rotating = await register({ name: 'rotating' });
    const rotated = await t.warden.clients.rotateSecret(rotating.client_id, { overlap: '1h' }, { actor: 'test' });
    expect((await clientCredentials(rotating)).status).toBe(200);
    expect((await clientCredentials(rotated)).status).toBe(200);
    t.clock.now += 60 * MINUTE;
    expect((await clientCredentials(rotating)).status).toBe(401);
    expect((await clientCredentials(rotated)).status).toBe(200);

    const abrupt = await t.warden.clients.rotateSecret(rotating.client_id, {}, { actor: 'test' });
    expect((await clientCredentials(rotated)).status).toBe(401);
    expect((await clientCredentials(abrupt)).status).toBe(200);
  });

  it('audits failed client authentications within the failure budgets, with the client id and never a secret', async () => {
    // A fresh minute: the budgets are per minute, and earlier tests spent some of this peer's.
    t.clock.now += 2 * MINUTE;
    const since = t.clock.now;
    const wrong = { client_id: orders.client_id, client_secret: 'not-the-secret-of-orders-0123456789' };
    for (let i = 0; i < 5; i++) expect((await clientCredentials(wrong)).status).toBe(401);
    await clientCredentials({ client_id: 'UnknownClient123', client_secret: orders.client_secret });
    await token('grant_type=client_credentials', { authorization: 'Basic !!' });
    await t.warden.flush();

    const events = (await t.warden.audit.list({ action: 'credential.verify_failed' })).filter((e) => e.at >= since);
    const forOrders = events.filter((event) => event.targetId === orders.client_id);
    // audit.failures_per_minute is 3 in this suite: two of the five are counted, not written.
    expect(forOrders).toHaveLength(3);
    expect(forOrders[0]).toMatchObject({
      outcome: 'failure',
      targetType: 'basic',
      reason: 'invalid_credentials',
      peer: '127.0.0.1',
    });
    expect(events.find((event) => event.targetId === 'UnknownClient123')).toMatchObject({
      reason: 'invalid_credentials',
    });
    expect(events.find((event) => event.reason === 'malformed_credentials')).toMatchObject({ targetId: null });
    const text = JSON.stringify(await t.warden.audit.list({ limit: 1000 }));
    for (const secret of [orders.client_secret, wrong.client_secret]) expect(text).not.toContain(secret);
  });

  it('no secret in logs: a token that cannot be signed is a 500 logged without the secret', async () => {
    // A second instance on the same store whose signing keys retire sooner than this client's tokens would live.
    const long = await register({ name: 'long-lived', tokenTtl: '2h' });
    const strict = await startTestWarden(dialect, {
      database: t.database,
      frozenClock: true,
      background: false,
      config: { signing_keys: { retain_after_retire: '1h' } },
    });
    const app = buildApp(strict.warden);
    try {
      const answer = await app.inject({
        method: 'POST',
        url: '/oauth2/token',
        headers: { ...FORM, authorization: basic(long.client_id, long.client_secret) },
        payload: 'grant_type=client_credentials',
      });
      expect(answer.statusCode).toBe(500);
      expect(answer.headers['cache-control']).toBe('no-store');
      expect(answer.json()).toEqual({ error: 'config_invalid', error_description: 'The configuration is not valid.' });
      expect(strict.logLines.join('\n')).toContain('token request failed');
      const wrong = await app.inject({
        method: 'POST',
        url: '/oauth2/token',
        headers: FORM,
        payload: `grant_type=client_credentials&client_id=${long.client_id}&client_secret=${long.client_secret}x`,
      });
      expect(wrong.statusCode).toBe(401);
    } finally {
      await app.close();
      await strict.close();
    }
    const logs = [...t.logLines, ...strict.logLines].join('\n');
    expect(logs).toContain('token lifetime');
    for (const secret of [orders.client_secret, long.client_secret, basic(long.client_id, long.client_secret)]) {
      expect(logs).not.toContain(secret);
    }
    expect(decodeProtectedHeader((await json(clientCredentials(orders))).access_token).typ).toBe('at+jwt');
  });
});
