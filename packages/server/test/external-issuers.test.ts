import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequestAuthenticator } from '@warden/sdk/middleware';
import { createVerifier, FAILURE_BACKOFF_MS } from '@warden/sdk/verifier';
import Fastify from 'fastify';
import { decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthorizationServer, type TestAuthorizationServer } from '../../sdk/test/support/authorization-server.js';
import { AUDIENCE, startTestIssuer, type TestIssuer } from '../../sdk/test/support/jwks-server.js';
import { ConfigError } from '../src/config/errors.js';
import { parseConfig } from '../src/config/load.js';
import { printableConfig } from '../src/config/printable.js';
import { wardenFastify } from '../src/integrations/fastify.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { testDialects } from './helpers/databases.js';

const dialects = await testDialects();
const WARDEN_ISSUER = 'https://warden.test';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

/**
 * Trusted external issuers (config `issuers`) on the decision path: oidc-provider as a real external issuer of
 * JWT access tokens (RFC 8707 resource indicators), and key endpoints this test controls (two issuers with the
 * same subjects, one that fails). Warden's own tokens and API keys are decided in the same run.
 */
describe.each(dialects)('external issuers on %s', (dialect) => {
  let t: TestApp;
  let idp: TestAuthorizationServer;
  let other: TestIssuer;
  let second: TestIssuer;
  let failing: TestIssuer;

  const decideWith = (token: string, url = '/v1/decide/orders/7') =>
    t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
  const attributes = (token: string) => ({
    method: 'GET',
    host: 'api.test',
    path: '/orders/7',
    headers: { authorization: `Bearer ${token}` },
    peer: '127.0.0.1',
  });
  const idpToken = async (scope = 'orders.read') => {
    const response = await fetch(idp.tokenUrl, {
      method: 'POST',
      headers: { ...FORM, authorization: basic('orders-client', 'orders-client-secret-0123456789') },
      body: new URLSearchParams({ grant_type: 'client_credentials', resource: AUDIENCE, scope }),
    });
    const body = (await response.json()) as { access_token: string };
    expect(response.status, JSON.stringify(body)).toBe(200);
    return body.access_token;
  };

  beforeAll(async () => {
    idp = await startAuthorizationServer({
      resourceServers: { [AUDIENCE]: { audience: AUDIENCE, scope: 'orders.read orders.write' } },
    });
    idp.addClient({
      client_id: 'orders-client',
      client_secret: 'orders-client-secret-0123456789',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
    });
    other = await startTestIssuer('ES256');
    second = await startTestIssuer('EdDSA');
    failing = await startTestIssuer('RS256');
    t = await startTestApp(dialect, {
      background: false,
      config: {
        issuer: WARDEN_ISSUER,
        issuers: [
          { issuer: idp.issuer, audience: AUDIENCE, algorithms: ['RS256'] },
          {
            issuer: other.issuer,
            audience: [AUDIENCE],
            algorithms: ['ES256'],
            claims: { tenant: 'org', roles: ['realm_access.roles'], admin_role: 'ops' },
          },
          { issuer: second.issuer, audience: AUDIENCE, algorithms: ['EdDSA'], jwks_uri: second.jwksUri },
          { issuer: failing.issuer, audience: AUDIENCE, algorithms: ['RS256'], jwks: { timeout: '500ms' } },
        ],
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    for (const server of [idp, other, second, failing]) await server?.close();
  });

  it("accepts oidc-provider's JWT access tokens beside Warden's own tokens and API keys", async () => {
    const external = await idpToken();
    expect(decodeJwt(external)).toMatchObject({ iss: idp.issuer, aud: AUDIENCE, client_id: 'orders-client' });
    const response = await decideWith(external);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers).toMatchObject({
      'x-auth-subject': 'orders-client',
      'x-auth-subject-type': 'service',
      'x-auth-scopes': 'orders.read',
      'x-auth-credential': 'jwt',
      'x-auth-issuer': idp.issuer,
    });
    expect(response.json().credential).toMatchObject({ kind: 'jwt', issuer: idp.issuer });

    // Warden's own token, from its token endpoint, for a client made with warden.clients.create.
    const client = await t.warden.clients.create({ name: 'own', scopes: ['orders.read'] }, { actor: 'test' });
    const own = await t.app.inject({
      method: 'POST',
      url: '/oauth2/token',
      headers: { ...FORM, authorization: basic(client.client_id, client.client_secret) },
      payload: 'grant_type=client_credentials',
    });
    expect(own.statusCode, own.body).toBe(200);
    const ownResponse = await decideWith(own.json().access_token);
    expect(ownResponse.statusCode).toBe(200);
    expect(ownResponse.headers['x-auth-issuer']).toBe(WARDEN_ISSUER);

    const apiKey = await t.warden.keys.create({ subject: 'orders-svc' }, { actor: 'test' });
    const byKey = await t.app.inject({ url: '/v1/decide', headers: { 'x-api-key': apiKey.key } });
    expect(byKey.statusCode).toBe(200);
    expect(byKey.headers['x-auth-credential']).toBe('api_key');
    expect(byKey.headers['x-auth-issuer']).toBe('');
  });

  it('SECURITY.md #31: an external token allowed once is still checked against the next requirements', async () => {
    const token = await idpToken('orders.read');
    expect((await t.warden.decide(attributes(token))).allow).toBe(true);
    expect(await t.warden.decide(attributes(token), { scopes: ['orders.write'] })).toMatchObject({
      allow: false,
      code: 'insufficient_scope',
    });
    expect((await t.warden.decide(attributes(token), { scopes: ['orders.read'] })).allow).toBe(true);
    expect(await t.warden.decide(attributes(token), { admin: true })).toMatchObject({
      allow: false,
      code: 'forbidden',
    });
  });

  it('maps claims per issuer: tenant, roles and admin from the configured claims', async () => {
    const token = await other.sign({ sub: 'carol', org: 'acme', realm_access: { roles: ['ops', 'reader'] } });
    const decision = await t.warden.decide(attributes(token), { tenant: 'acme', admin: true, anyRole: ['reader'] });
    expect(decision).toMatchObject({
      allow: true,
      principal: { subject: 'carol', tenant: 'acme', admin: true, roles: ['ops', 'reader'] },
    });
  });

  it('SECURITY.md #10: the same sub from two issuers is two identities; a token signed by one for the other is 401', async () => {
    const fromOther = await decideWith(await other.sign({ sub: 'alice' }));
    const fromSecond = await decideWith(await second.sign({ sub: 'alice' }));
    expect(fromOther.statusCode).toBe(200);
    expect(fromSecond.statusCode).toBe(200);
    expect(fromOther.headers['x-auth-subject']).toBe(fromSecond.headers['x-auth-subject']);
    expect(fromOther.headers['x-auth-issuer']).toBe(other.issuer);
    expect(fromSecond.headers['x-auth-issuer']).toBe(second.issuer);
    // `second` signs a token that claims `other` as its issuer, under its own kid and under other's kid.
    for (const forged of [
      await second.sign({ iss: other.issuer }),
      await second.sign({ iss: other.issuer }, { header: { kid: other.current.kid, alg: 'EdDSA' } }),
    ]) {
      const response = await decideWith(forged);
      expect(response.statusCode).toBe(401);
      expect(response.json().error).toBe('invalid_credentials');
      expect(response.headers['www-authenticate']).toContain('error="invalid_token"');
    }
    // An issuer nobody configured is refused before any key is looked for.
    const stranger = await startTestIssuer('RS256');
    try {
      expect((await decideWith(await stranger.sign())).statusCode).toBe(401);
      expect(stranger.requests.jwks + stranger.requests.discovery).toBe(0);
    } finally {
      await stranger.close();
    }
  });

  it('an expired external token is 401 expired; a wrong audience is 401 invalid_credentials', async () => {
    const past = Date.now() - 3_600_000;
    const expired = await decideWith(await other.sign({}, { now: past }));
    expect(expired.statusCode).toBe(401);
    expect(expired.json().error).toBe('expired');
    const wrongAudience = await decideWith(await other.sign({ aud: 'https://billing.test' }));
    expect(wrongAudience.json().error).toBe('invalid_credentials');
  });

  it('a JWKS that cannot be fetched on a cache miss is 503 unavailable, never 200 and never a crash; 200 once it answers', async () => {
    const tokens = await Promise.all([1, 2, 3, 4, 5].map((n) => failing.sign({ sub: `u${n}` })));
    failing.mode = 'error';
    const answers = await Promise.all(tokens.map((token) => decideWith(token)));
    for (const answer of answers) {
      expect(answer.statusCode).toBe(503);
      expect(answer.json().error).toBe('unavailable');
      expect(answer.body).not.toContain(tokens[0]!.slice(0, 40));
    }
    failing.mode = 'hang';
    await new Promise((resolve) => setTimeout(resolve, FAILURE_BACKOFF_MS + 50));
    const hung = await decideWith(tokens[0]!);
    expect(hung.statusCode).toBe(503);
    failing.mode = 'ok';
    await new Promise((resolve) => setTimeout(resolve, FAILURE_BACKOFF_MS + 50));
    const recovered = await decideWith(tokens[0]!);
    expect(recovered.statusCode, recovered.body).toBe(200);
    expect(recovered.headers['x-auth-subject']).toBe('u1');
    // The fault is logged (the JWKS URL and what went wrong), never with a token or a part of one.
    const logged = t.logLines.join('\n');
    expect(logged).toContain(`${failing.issuer}/.well-known/openid-configuration answered HTTP 500`);
    for (const token of tokens) for (const part of token.split('.')) expect(logged).not.toContain(part);
  });

  it('the in-process Fastify middleware accepts an external token and applies its requirements', async () => {
    const app = Fastify();
    await app.register(wardenFastify(t.warden), { requirements: { scopes: ['orders.read'] } });
    app.get('/orders', async (request) => ({
      subject: request.principal?.subject,
      issuer: request.principal?.credential.issuer,
    }));
    app.get('/orders/write', { config: { warden: { scopes: ['orders.write'] } } }, async () => ({ ok: true }));
    await app.ready();
    try {
      const token = await idpToken('orders.read');
      const allowed = await app.inject({ url: '/orders', headers: { authorization: `Bearer ${token}` } });
      expect(allowed.json()).toEqual({ subject: 'orders-client', issuer: idp.issuer });
      const denied = await app.inject({ url: '/orders/write', headers: { authorization: `Bearer ${token}` } });
      expect(denied.statusCode).toBe(403);
      expect(denied.headers['www-authenticate']).toContain('error="insufficient_scope"');
    } finally {
      await app.close();
    }
  });
});

describe('issuers configuration', () => {
  const problemsOf = (issuers: unknown[], extra: Record<string, unknown> = {}) => {
    try {
      parseConfig({ issuer: WARDEN_ISSUER, issuers, ...extra } as never);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).problems.join('\n');
    }
    return '';
  };
  const entry = { issuer: 'https://idp.test/realms/main', audience: 'api', algorithms: ['RS256'] };

  it('SECURITY.md #1: an issuer without an algorithm list, or admitting none, is a configuration error', () => {
    const { algorithms: _algorithms, ...withoutAlgorithms } = entry;
    expect(problemsOf([withoutAlgorithms])).toMatch(/issuers\.0\.algorithms/);
    expect(problemsOf([{ ...entry, algorithms: [] }])).toMatch(/must list the algorithms/);
    expect(problemsOf([{ ...entry, algorithms: ['RS256', 'none'] }])).toMatch(/"none" is never accepted/);
    expect(problemsOf([{ ...entry, algorithms: ['RS1'] }])).toMatch(/unknown algorithm/);
  });

  it('SECURITY.md #2: HMAC algorithms are refused for an issuer (its JWKS keys are public)', () => {
    expect(problemsOf([{ ...entry, algorithms: ['HS256'] }])).toMatch(/HS256 \(HMAC\) is refused/);
  });

  it("duplicate issuers, Warden's own issuer, and a missing audience are configuration errors", () => {
    expect(problemsOf([entry, { ...entry, audience: 'other' }])).toMatch(/issuers\.1\.issuer: is listed twice/);
    expect(problemsOf([{ ...entry, issuer: `${WARDEN_ISSUER}/` }])).toMatch(/is Warden's own issuer/);
    const { audience: _audience, ...withoutAudience } = entry;
    expect(problemsOf([withoutAudience])).toMatch(/issuers\.0\.audience/);
    expect(problemsOf([{ ...entry, audiences: ['x'] }])).toMatch(/unknown key/);
  });

  it('defaults are documented values: at+jwt, 30s skew, 5s timeout, 30s cooldown, 10m max age, 15m stale-if-error', () => {
    const [parsed] = parseConfig({ issuers: [entry] } as never).issuers;
    expect(parsed).toMatchObject({
      audience: ['api'],
      typ: ['at+jwt'],
      clock_skew: 30_000,
      jwks: { timeout: 5_000, cooldown: 30_000, max_age: 600_000, stale_if_error: 900_000 },
      claims: { subject: 'sub', roles: [], scopes: ['scope', 'scp'] },
      allow_insecure_http: false,
    });
    // `warden config check` prints them as they are written.
    const printed = printableConfig(parseConfig({ issuers: [entry] } as never)) as {
      issuers: { clock_skew: unknown; jwks: Record<string, unknown> }[];
    };
    expect(printed.issuers[0]).toMatchObject({
      clock_skew: '30s',
      jwks: { timeout: '5s', cooldown: '30s', max_age: '10m', stale_if_error: '15m' },
    });
  });
});

describe("the SDK verifier on Warden's own tokens", () => {
  let t: TestApp;
  let issuer: string;

  beforeAll(async () => {
    // Warden's issuer must be the URL it is reached at: take a free port first, then serve on it.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    issuer = `http://127.0.0.1:${port}`;
    t = await startTestApp('sqlite', { background: false, config: { issuer } });
    await t.app.listen({ host: '127.0.0.1', port });
  });
  afterAll(() => t?.close());

  it("verifies a token from Warden's token endpoint through discovery and Warden's JWKS", async () => {
    const client = await t.warden.clients.create(
      { name: 'reader', scopes: ['orders.read'], tenant: 'acme' },
      { actor: 'test' },
    );
    const response = await fetch(`${issuer}/oauth2/token`, {
      method: 'POST',
      headers: { ...FORM, authorization: basic(client.client_id, client.client_secret) },
      body: 'grant_type=client_credentials',
    });
    const { access_token: token } = (await response.json()) as { access_token: string };
    const verifier = createVerifier({
      issuer,
      audience: issuer,
      algorithms: ['EdDSA', 'ES256', 'RS256'],
      claims: { tenant: 'tenant' },
    });
    const principal = await verifier.verify(token);
    expect(principal).toMatchObject({
      subject: client.client_id,
      subjectType: 'service',
      tenant: 'acme',
      scopes: ['orders.read'],
      credential: { kind: 'jwt', issuer, id: decodeJwt(token).jti },
    });
    // A token for another audience, and one signed by a foreign key under Warden's kid, are refused.
    const { privateKey } = await generateKeyPair('EdDSA');
    const forged = await new SignJWT(decodeJwt(token))
      .setProtectedHeader({ alg: 'EdDSA', kid: decodeProtectedHeader(token).kid!, typ: 'at+jwt' })
      .sign(privateKey);
    await expect(verifier.verify(forged)).rejects.toMatchObject({ code: 'invalid_credentials' });
    const elsewhere = createVerifier({ issuer, audience: 'https://billing.test', algorithms: ['EdDSA'] });
    await expect(elsewhere.verify(token)).rejects.toMatchObject({ code: 'invalid_credentials' });
    // The SDK's middleware core on the same token: allowed for its scope, 403 for another.
    const authenticate = createRequestAuthenticator({ verifiers: verifier, realm: 'orders' });
    expect(await authenticate({ authorization: `Bearer ${token}` }, { scopes: ['orders.read'] })).toMatchObject({
      ok: true,
      principal: { subject: client.client_id },
    });
    expect(await authenticate({ authorization: `Bearer ${token}` }, { scopes: ['orders.write'] })).toMatchObject({
      ok: false,
      status: 403,
      headers: { 'www-authenticate': expect.stringContaining('error="insufficient_scope"') },
    });
  });
});
