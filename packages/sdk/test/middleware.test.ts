import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Principal } from '@warden/sdk';
import {
  createIntrospectionClient,
  createRequestAuthenticator,
  type IntrospectionClient,
  type ProtectOptions,
  protectExpress,
  protectFastify,
  protectHono,
  protectNode,
} from '@warden/sdk/middleware';
import { createVerifier, VerifierConfigError } from '@warden/sdk/verifier';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthorizationServer, type TestAuthorizationServer } from './support/authorization-server.js';
import { AUDIENCE, startTestIssuer, type TestIssuer } from './support/jwks-server.js';

/**
 * The SDK's inbound middleware on Fastify, Express, Hono and node:http, against oidc-provider as the real issuer:
 * its JWT access tokens verified locally, its opaque tokens through its RFC 7662 introspection endpoint. The
 * challenges are asserted exactly (RFC 6750).
 */

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const READ = { scopes: ['orders.read'] };
const WRITE = { scopes: ['orders.read', 'orders.write'] };

interface Answer {
  status: number;
  headers: Record<string, string | undefined>;
  body: Record<string, unknown>;
}
type Client = (path: string, credential?: string | Record<string, string>) => Promise<Answer>;
/** A string is the Authorization header; an object, the headers themselves. */
const headersOf = (credential?: string | Record<string, string>): Record<string, string> =>
  credential === undefined ? {} : typeof credential === 'string' ? { authorization: credential } : credential;

let idp: TestAuthorizationServer;
const servers: Server[] = [];

async function token(resource: boolean, scope = 'orders.read'): Promise<string> {
  const response = await fetch(idp.tokenUrl, {
    method: 'POST',
    headers: { ...FORM, authorization: basic('orders-client', 'orders-client-secret-0123456789') },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope, ...(resource ? { resource: AUDIENCE } : {}) }),
  });
  const body = (await response.json()) as { access_token: string };
  expect(response.status, JSON.stringify(body)).toBe(200);
  return body.access_token;
}

const handlerBody = (principal: Principal | undefined) => ({
  subject: principal?.subject,
  issuer: principal?.credential.issuer,
  kind: principal?.credential.kind,
});

async function listen(server: Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function overHttp(base: string, path: string, credential?: string | Record<string, string>): Promise<Answer> {
  const response = await fetch(`${base}${path}`, { headers: headersOf(credential) });
  return {
    status: response.status,
    headers: Object.fromEntries(response.headers),
    body: (await response.json()) as Record<string, unknown>,
  };
}

/** The same two routes on each framework: `/orders` needs orders.read, `/orders/write` orders.write too. */
const frameworks: Record<string, (options: ProtectOptions) => Promise<Client>> = {
  fastify: async (options) => {
    const app = Fastify();
    await app.register(protectFastify({ ...options, requirements: READ }));
    app.get('/orders', async (request) => handlerBody((request as { principal?: Principal }).principal));
    app.get('/orders/write', { config: { warden: WRITE } }, async (request) =>
      handlerBody((request as { principal?: Principal }).principal),
    );
    await app.ready();
    return async (path, credential) => {
      const response = await app.inject({ url: path, headers: headersOf(credential) });
      return { status: response.statusCode, headers: response.headers as Answer['headers'], body: response.json() };
    };
  },
  express: async (options) => {
    const app = express();
    const respond = (request: express.Request, response: express.Response) =>
      response.json(handlerBody((request as { principal?: Principal }).principal));
    app.get('/orders', protectExpress({ ...options, requirements: READ }), respond);
    app.get('/orders/write', protectExpress({ ...options, requirements: WRITE }), respond);
    const base = await listen(createServer(app));
    return (path, credential) => overHttp(base, path, credential);
  },
  hono: async (options) => {
    const app = new Hono<{ Variables: { principal: Principal } }>();
    app.use('/orders', protectHono({ ...options, requirements: READ }));
    app.use('/orders/write', protectHono({ ...options, requirements: WRITE }));
    app.get('/orders', (c) => c.json(handlerBody(c.get('principal'))));
    app.get('/orders/write', (c) => c.json(handlerBody(c.get('principal'))));
    return async (path, credential) => {
      const response = await app.request(path, { headers: headersOf(credential) });
      return {
        status: response.status,
        headers: Object.fromEntries(response.headers),
        body: (await response.json()) as Record<string, unknown>,
      };
    };
  },
  'node:http': async (options) => {
    const protect = protectNode({ ...options, requirements: READ });
    const base = await listen(
      createServer(async (request, response) => {
        const principal = await protect(request, response, request.url === '/orders/write' ? WRITE : undefined);
        if (principal === null) return;
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(handlerBody(principal)));
      }),
    );
    return (path, credential) => overHttp(base, path, credential);
  },
};

let options: ProtectOptions;
let introspection: IntrospectionClient;

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
    scope: 'orders.read orders.write',
  });
  // The resource server's own client, to authenticate to the introspection endpoint.
  idp.addClient({
    client_id: 'orders-api',
    client_secret: 'orders-api-secret-0123456789abcdef',
    grant_types: [],
    response_types: [],
    redirect_uris: [],
  });
  introspection = createIntrospectionClient({
    endpoint: `${idp.issuer}/token/introspection`,
    clientId: 'orders-api',
    clientSecret: 'orders-api-secret-0123456789abcdef',
  });
  options = {
    verifiers: createVerifier({ issuer: idp.issuer, audience: AUDIENCE, algorithms: ['RS256'] }),
    introspection,
    realm: 'orders',
  };
});
afterAll(async () => {
  for (const server of servers) server.close();
  await idp?.close();
});

describe.each(Object.keys(frameworks))('middleware on %s', (name) => {
  let call: Client;
  beforeAll(async () => {
    call = await frameworks[name]!(options);
  });

  it('no credentials: 401 with a bare challenge', async () => {
    const answer = await call('/orders');
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toBe('Bearer realm="orders"');
    expect(answer.body).toEqual({ error: 'missing_credentials', message: 'No credentials were presented.' });
  });

  it('a JWT of the issuer is verified locally; a missing scope is 403 insufficient_scope naming it', async () => {
    const jwt = await token(true);
    const allowed = await call('/orders', `Bearer ${jwt}`);
    expect(allowed.status).toBe(200);
    expect(allowed.body).toEqual({ subject: 'orders-client', issuer: idp.issuer, kind: 'jwt' });
    const denied = await call('/orders/write', `Bearer ${jwt}`);
    expect(denied.status).toBe(403);
    expect(denied.headers['www-authenticate']).toBe(
      'Bearer realm="orders", error="insufficient_scope", error_description="The token lacks a required scope.", scope="orders.write"',
    );
    expect(denied.body['error']).toBe('insufficient_scope');
  });

  it('an opaque token is introspected; unknown, forged and malformed ones are refused', async () => {
    const opaque = await token(false);
    expect(opaque.split('.')).toHaveLength(1);
    const allowed = await call('/orders', `Bearer ${opaque}`);
    expect(allowed.status, JSON.stringify(allowed.body)).toBe(200);
    expect(allowed.body).toEqual({ subject: 'orders-client', issuer: idp.issuer, kind: 'api_key' });
    for (const bad of ['unknown-opaque-token-value', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.']) {
      const refused = await call('/orders', `Bearer ${bad}`);
      expect(refused.status, `${bad} ${JSON.stringify(refused.body)}`).toBe(401);
      expect(refused.headers['www-authenticate']).toMatch(
        /^Bearer realm="orders", error="invalid_token", error_description="/,
      );
      expect(JSON.stringify(refused)).not.toContain(bad);
    }
    const malformedCredentials: (string | Record<string, string>)[] = [
      basic('a', 'b'),
      { authorization: `Bearer ${opaque}`, 'x-api-key': opaque },
      { 'x-api-key': 'not a token' },
    ];
    for (const malformed of malformedCredentials) {
      const answer = await call('/orders', malformed);
      expect(answer.status, JSON.stringify(malformed)).toBe(400);
      expect(answer.headers['www-authenticate']).toMatch(/error="invalid_request"/);
    }
    // An opaque credential in X-API-Key is introspected like one in Authorization.
    expect((await call('/orders', { 'x-api-key': opaque })).body).toMatchObject({ subject: 'orders-client' });
  });
});

describe('introspection client', () => {
  it('SECURITY.md #31: an answer cached for one requirement never satisfies another; the cache is keyed by token digest', async () => {
    const authenticate = createRequestAuthenticator({ introspection, requirements: READ });
    const opaque = await token(false, 'orders.read');
    const before = introspection.requests;
    expect(await authenticate({ authorization: `Bearer ${opaque}` })).toMatchObject({ ok: true });
    expect(await authenticate({ authorization: `Bearer ${opaque}` })).toMatchObject({ ok: true });
    expect(introspection.requests - before).toBe(1);
    expect(await authenticate({ authorization: `Bearer ${opaque}` }, { scopes: ['orders.write'] })).toMatchObject({
      ok: false,
      status: 403,
      code: 'insufficient_scope',
    });
    expect(await authenticate({ authorization: `Bearer ${opaque}` }, { admin: true })).toMatchObject({
      ok: false,
      code: 'forbidden',
    });
    // Another token is introspected on its own, never answered from the first one's entry.
    const other = await token(false, 'orders.read orders.write');
    expect(await authenticate({ authorization: `Bearer ${other}` }, { scopes: ['orders.write'] })).toMatchObject({
      ok: true,
    });
    expect(introspection.requests - before).toBe(2);
  });

  it('an inactive answer is 401, and is not cached: a revoked token is inactive on its next use', async () => {
    const authenticate = createRequestAuthenticator({
      introspection: createIntrospectionClient({
        endpoint: `${idp.issuer}/token/introspection`,
        clientId: 'orders-api',
        clientSecret: 'orders-api-secret-0123456789abcdef',
        clientAuth: 'client_secret_post',
        cacheTtl: 0,
      }),
    });
    const opaque = await token(false);
    expect(await authenticate({ authorization: `Bearer ${opaque}` })).toMatchObject({ ok: true });
    const revoked = await fetch(`${idp.issuer}/token/revocation`, {
      method: 'POST',
      headers: { ...FORM, authorization: basic('orders-client', 'orders-client-secret-0123456789') },
      body: new URLSearchParams({ token: opaque }),
    });
    expect(revoked.status).toBe(200);
    expect(await authenticate({ authorization: `Bearer ${opaque}` })).toMatchObject({
      ok: false,
      status: 401,
      code: 'invalid_credentials',
    });
  });

  it('wrong client credentials for the introspection endpoint, or keys that cannot be fetched, are 503 with Retry-After', async () => {
    const wrongClient = createRequestAuthenticator({
      introspection: createIntrospectionClient({
        endpoint: `${idp.issuer}/token/introspection`,
        clientId: 'orders-api',
        clientSecret: 'not-the-secret',
      }),
    });
    const denied = await wrongClient({ authorization: `Bearer ${await token(false)}` });
    expect(denied).toMatchObject({ ok: false, status: 503, code: 'unavailable', headers: { 'retry-after': '1' } });
    expect(JSON.stringify(denied)).not.toContain('not-the-secret');

    let down: TestIssuer | undefined;
    try {
      down = await startTestIssuer('RS256');
      down.mode = 'error';
      const authenticate = createRequestAuthenticator({
        verifiers: createVerifier({ issuer: down.issuer, audience: AUDIENCE, algorithms: ['RS256'] }),
      });
      expect(await authenticate({ authorization: `Bearer ${await down.sign()}` })).toMatchObject({
        ok: false,
        status: 503,
      });
    } finally {
      await down?.close();
    }
  });

  it('refuses to be created without a way to verify, or with a plain-http remote endpoint', () => {
    expect(() => createRequestAuthenticator({})).toThrow(VerifierConfigError);
    expect(() =>
      createIntrospectionClient({ endpoint: 'http://idp.test/introspect', clientId: 'a', clientSecret: 'b' }),
    ).toThrow(/must be https/);
    expect(() =>
      createIntrospectionClient({ endpoint: 'https://idp.test/introspect', clientId: '', clientSecret: '' }),
    ).toThrow(/clientId is required/);
  });
});
