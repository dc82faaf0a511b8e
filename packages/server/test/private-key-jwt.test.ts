import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/http/app.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { buildCli, freePort, wardenJson } from './helpers/cli.js';
import { tempDir, testDialects } from './helpers/databases.js';
import { startTestWarden } from './helpers/engine.js';

const dialects = await testDialects();
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/**
 * private_key_jwt (RFC 7523 section 2.2): clients that prove themselves with an assertion signed by a registered
 * public key, through the token endpoint, with openid-client as an independent client and jose crafting the
 * malicious assertions. The jti of every accepted assertion is remembered in the store: a replay fails on every
 * instance.
 */
describe.each(dialects)('private_key_jwt on %s', (dialect) => {
  let t: TestApp;
  let base: string;
  let privateKey: CryptoKey;
  let publicJwk: JWK & { kty: 'EC'; alg: 'ES256'; use: 'sig' };
  let clientId: string;

  const assertion = (claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}, key = privateKey) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      iss: clientId,
      sub: clientId,
      aud: base,
      jti: randomUUID(),
      iat: now,
      exp: now + 60,
      ...claims,
    })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1', ...header })
      .sign(key);
  };
  const tokenWith = (clientAssertion: string, extra: Record<string, string> = {}) =>
    fetch(`${base}/oauth2/token`, {
      method: 'POST',
      headers: FORM,
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_assertion_type: JWT_BEARER,
        client_assertion: clientAssertion,
        ...extra,
      }).toString(),
    });
  const errorOf = async (answer: Response) => ({
    status: answer.status,
    error: ((await answer.json()) as Record<string, string>).error,
  });

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    t = await startTestApp(dialect, { background: false, config: { issuer: base } });
    await t.app.listen({ host: '127.0.0.1', port });
    const pair = await generateKeyPair('ES256', { extractable: true });
    privateKey = pair.privateKey;
    publicJwk = {
      ...(await exportJWK(pair.publicKey)),
      kty: 'EC',
      kid: 'k1',
      alg: 'ES256' as const,
      use: 'sig' as const,
    };
    const created = await t.warden.clients.create(
      { name: 'signer', scopes: ['jobs.read'], authMethod: 'private_key_jwt', jwks: { keys: [publicJwk] } },
      { actor: 'test' },
    );
    expect(created.client_secret).toBeNull();
    expect(created.client.jwks).toEqual({ keys: [publicJwk] });
    clientId = created.client_id;
  });
  afterAll(() => t.close());

  it('openid-client gets a token with PrivateKeyJwt; the discovery document lists the method and algorithms', async () => {
    const config = await oidc.discovery(
      new URL(base),
      clientId,
      undefined,
      oidc.PrivateKeyJwt({ key: privateKey, kid: 'k1' }),
      {
        execute: [oidc.allowInsecureRequests],
      },
    );
    expect(config.serverMetadata().token_endpoint_auth_methods_supported).toContain('private_key_jwt');
    expect(config.serverMetadata().token_endpoint_auth_signing_alg_values_supported).toContain('ES256');
    const tokens = await oidc.clientCredentialsGrant(config);
    expect(tokens.scope).toBe('jobs.read');
  });

  it('an assertion naming the token endpoint as its audience is accepted too', async () => {
    const answer = await tokenWith(await assertion({ aud: `${base}/oauth2/token` }));
    expect(answer.status).toBe(200);
  });

  it('a replayed assertion is refused, on this instance and on another sharing the store', async () => {
    const once = await assertion();
    expect((await tokenWith(once)).status).toBe(200);
    expect(await errorOf(await tokenWith(once))).toEqual({ status: 401, error: 'invalid_client' });
    const other = await startTestWarden(dialect, { database: t.database, background: false, config: { issuer: base } });
    const app = buildApp(other.warden);
    try {
      const again = await app.inject({
        method: 'POST',
        url: '/oauth2/token',
        headers: FORM,
        payload: new URLSearchParams({
          grant_type: 'client_credentials',
          client_assertion_type: JWT_BEARER,
          client_assertion: once,
        }).toString(),
      });
      expect(again.statusCode).toBe(401);
      expect(again.json().error).toBe('invalid_client');
      const audit = await t.warden.audit.list({ action: 'credential.verify_failed' });
      expect(audit.some((event) => event.reason === 'replayed' && event.targetId === clientId)).toBe(true);
    } finally {
      await app.close();
      await other.close();
    }
  });

  it('refuses forged, foreign, long-lived and malformed assertions with invalid_client, never a 5xx', async () => {
    const { privateKey: strangerKey } = await generateKeyPair('ES256');
    const now = Math.floor(Date.now() / 1000);
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${Buffer.from(
      JSON.stringify({ iss: clientId, sub: clientId, aud: base, jti: 'x', exp: now + 60 }),
    ).toString('base64url')}.`;
    const hmac = await new SignJWT({ iss: clientId, sub: clientId, aud: base, jti: randomUUID(), exp: now + 60 })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(JSON.stringify(publicJwk)));
    const cases: [string, string][] = [
      ['signed by another key', await assertion({}, {}, strangerKey)],
      ['alg none', unsigned],
      ['HS256 keyed with the public key', hmac],
      ['another audience', await assertion({ aud: 'https://elsewhere.example' })],
      ['iss differs from sub', await assertion({ iss: 'someone-else' })],
      ['no jti', await assertion({ jti: undefined })],
      ['expired', await assertion({ exp: now - 120 })],
      ['lives an hour', await assertion({ exp: now + 3600 })],
      ['an unknown client', await assertion({ iss: 'AAAAAAAAAAAAAAAA', sub: 'AAAAAAAAAAAAAAAA' })],
      ['not a JWT', 'garbage'],
      ['oversized', `${await assertion()}${'A'.repeat(10_000)}`],
    ];
    for (const [name, value] of cases) {
      expect(await errorOf(await tokenWith(value)), name).toEqual({ status: 401, error: 'invalid_client' });
    }
    // A wrong assertion type, or an assertion beside a secret, is a malformed request.
    expect(await errorOf(await tokenWith(await assertion(), { client_assertion_type: 'urn:other' }))).toEqual({
      status: 401,
      error: 'invalid_client',
    });
    const both = await fetch(`${base}/oauth2/token`, {
      method: 'POST',
      headers: { ...FORM, authorization: `Basic ${Buffer.from(`${clientId}:x`).toString('base64')}` },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_assertion_type: JWT_BEARER,
        client_assertion: await assertion(),
      }).toString(),
    });
    expect((await errorOf(both)).error).toBe('invalid_request');
  });

  it('a private_key_jwt client has no secret: Basic with anything is refused', async () => {
    const answer = await fetch(`${base}/oauth2/token`, {
      method: 'POST',
      headers: { ...FORM, authorization: `Basic ${Buffer.from(`${clientId}:anything`).toString('base64')}` },
      body: 'grant_type=client_credentials',
    });
    expect(answer.status).toBe(401);
  });

  it('registration: the method needs a JWKS of public keys, and only that method takes one', async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    const privateJwk = await exportJWK(pair.privateKey);
    const create = (input: Record<string, unknown>) =>
      t.app.inject({
        method: 'POST',
        url: '/v1/admin/clients',
        headers: { authorization: `Bearer ${t.adminKey}` },
        payload: { name: 'x', ...input },
      });
    const cases: [string, Record<string, unknown>][] = [
      ['no jwks', { authMethod: 'private_key_jwt' }],
      ['a private key', { authMethod: 'private_key_jwt', jwks: { keys: [privateJwk] } }],
      ['a symmetric key', { authMethod: 'private_key_jwt', jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } }],
      ['no keys', { authMethod: 'private_key_jwt', jwks: { keys: [] } }],
      ['a jwks for a secret client', { jwks: { keys: [publicJwk] } }],
    ];
    for (const [name, input] of cases) {
      const answer = await create(input);
      expect(answer.statusCode, name).toBe(400);
      expect(answer.json().error, name).toBe('invalid_request');
      expect(answer.body, name).not.toContain(String(privateJwk.d));
    }
  });
});

describe('warden clients create --auth-method private_key_jwt', () => {
  it('takes the public keys from --jwks FILE and prints no secret', async () => {
    buildCli();
    const cwd = tempDir('warden-pkjwt-cli');
    const pair = await generateKeyPair('EdDSA', { extractable: true });
    const jwks = { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'main' }] };
    await writeFile(join(cwd, 'jwks.json'), JSON.stringify(jwks));
    const created = await wardenJson(
      ['clients', 'create', '--name', 'edge', '--auth-method', 'private_key_jwt', '--jwks', 'jwks.json'],
      { cwd },
    );
    expect(created).toMatchObject({ client_secret: null, client: { authMethod: 'private_key_jwt', jwks } });
    const missing = await wardenJson(
      ['clients', 'create', '--name', 'edge2', '--auth-method', 'private_key_jwt', '--jwks', 'nope.json'],
      { cwd },
      2,
    );
    expect(JSON.stringify(missing)).toContain('--jwks: cannot read nope.json');
  });
});
