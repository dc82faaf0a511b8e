import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CredentialManager } from '@warden/sdk/credentials';
import { createIntrospectionClient, createRequestAuthenticator } from '@warden/sdk/middleware';
import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';
import { buildCli, freePort, warden } from './helpers/cli.js';
import { tempDir } from './helpers/databases.js';

/**
 * Warden as the authorization server of independent clients: `openid-client` (discovery, client credentials,
 * refresh, introspection, revocation), the SDK's outbound credential manager and `warden token get`, all against
 * one listening Warden. SQLite only: the protocol, not the store, is under test here (the store is covered by
 * oauth-token-lifecycle.test.ts on both dialects).
 */
describe('independent OAuth 2.0 clients against Warden', () => {
  let t: TestApp;
  let base: string;
  let worker: { client_id: string; client_secret: string };
  let gateway: { client_id: string; client_secret: string };
  let config: oidc.Configuration;
  let gatewayConfig: oidc.Configuration;

  beforeAll(async () => {
    buildCli();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    t = await startTestApp('sqlite', { background: false, config: { issuer: base } });
    await t.app.listen({ host: '127.0.0.1', port });
    worker = await t.warden.clients.create(
      { name: 'worker', scopes: ['jobs.read', 'jobs.write'], grantTypes: ['client_credentials', 'refresh_token'] },
      { actor: 'test' },
    );
    gateway = await t.warden.clients.create({ name: 'gateway', introspect: true }, { actor: 'test' });
    const discover = (client: { client_id: string; client_secret: string }) =>
      oidc.discovery(new URL(base), client.client_id, undefined, oidc.ClientSecretBasic(client.client_secret), {
        execute: [oidc.allowInsecureRequests],
      });
    config = await discover(worker);
    gatewayConfig = await discover(gateway);
  });
  afterAll(() => t?.close());

  it('discovers Warden (RFC 8414 / OIDC discovery) and gets a token with client credentials', async () => {
    const metadata = config.serverMetadata();
    expect(metadata.issuer).toBe(base);
    expect(metadata.introspection_endpoint).toBe(`${base}/oauth2/introspect`);
    expect(metadata.revocation_endpoint).toBe(`${base}/oauth2/revoke`);
    const tokens = await oidc.clientCredentialsGrant(config, { scope: 'jobs.read' });
    expect(tokens.token_type).toBe('bearer');
    expect(tokens.scope).toBe('jobs.read');
    expect(tokens.expiresIn()).toBeGreaterThan(0);
    expect(decodeJwt(tokens.access_token)).toMatchObject({ sub: worker.client_id, scope: 'jobs.read' });
  });

  it('refreshes with rotation, and a replayed refresh token is refused with invalid_grant', async () => {
    const first = await oidc.clientCredentialsGrant(config);
    expect(first.refresh_token).toMatch(/^wrt_/);
    const second = await oidc.refreshTokenGrant(config, first.refresh_token!);
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(second.access_token).not.toBe(first.access_token);
    await expect(oidc.refreshTokenGrant(config, first.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    await expect(oidc.refreshTokenGrant(config, second.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });

  it('introspects access tokens, refresh tokens and API keys; revocation makes them inactive', async () => {
    const tokens = await oidc.clientCredentialsGrant(config);
    const access = await oidc.tokenIntrospection(gatewayConfig, tokens.access_token);
    expect(access).toMatchObject({ active: true, client_id: worker.client_id, sub: worker.client_id, iss: base });
    const refresh = await oidc.tokenIntrospection(gatewayConfig, tokens.refresh_token!, {
      token_type_hint: 'refresh_token',
    });
    expect(refresh).toMatchObject({ active: true, token_type: 'refresh_token' });
    const key = await t.warden.keys.create({ subject: 'reports', scopes: ['reports.read'] }, { actor: 'test' });
    expect(await oidc.tokenIntrospection(gatewayConfig, key.key)).toMatchObject({
      active: true,
      token_type: 'api_key',
      sub: 'reports',
      scope: 'reports.read',
    });

    await oidc.tokenRevocation(config, tokens.access_token, { token_type_hint: 'access_token' });
    expect(await oidc.tokenIntrospection(gatewayConfig, tokens.access_token)).toEqual({ active: false });
    await oidc.tokenRevocation(config, tokens.refresh_token!);
    expect(await oidc.tokenIntrospection(gatewayConfig, tokens.refresh_token!)).toEqual({ active: false });
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });

  it('introspection without the introspect permission is refused, in the RFC 6749 shape', async () => {
    const tokens = await oidc.clientCredentialsGrant(config);
    await expect(oidc.tokenIntrospection(config, tokens.access_token)).rejects.toMatchObject({
      error: 'unauthorized_client',
    });
  });

  it("the SDK's middleware verifies opaque credentials through Warden's introspection endpoint", async () => {
    const authenticate = createRequestAuthenticator({
      introspection: createIntrospectionClient({
        endpoint: `${base}/oauth2/introspect`,
        clientId: gateway.client_id,
        clientSecret: gateway.client_secret,
        allowInsecureHttp: true,
      }),
      requirements: { scopes: ['jobs.read'] },
    });
    const key = await t.warden.keys.create({ subject: 'batch', scopes: ['jobs.read'] }, { actor: 'test' });
    expect(await authenticate({ 'x-api-key': key.key })).toMatchObject({
      ok: true,
      principal: { subject: 'batch', scopes: ['jobs.read'] },
    });
    const { refresh_token: refreshToken } = await oidc.clientCredentialsGrant(config);
    expect(await authenticate({ authorization: `Bearer ${refreshToken}` })).toMatchObject({
      ok: true,
      principal: { subject: worker.client_id },
    });
    const revoked = await t.warden.keys.create({ subject: 'gone' }, { actor: 'test' });
    await t.warden.keys.revoke(revoked.record.id, {}, { actor: 'test' });
    expect(await authenticate({ 'x-api-key': revoked.key })).toMatchObject({ ok: false, code: 'invalid_credentials' });
  });

  it("the SDK's oauth2_client_credentials provider and `warden token get` get tokens from Warden's token endpoint", async () => {
    const manager = new CredentialManager({
      credentials: {
        jobs: {
          type: 'oauth2_client_credentials',
          issuer: base,
          client_id: worker.client_id,
          client_secret: worker.client_secret,
          scopes: ['jobs.write'],
        },
      },
    });
    try {
      const accessToken = await manager.getToken('jobs');
      expect(decodeJwt(accessToken)).toMatchObject({ iss: base, sub: worker.client_id, scope: 'jobs.write' });
    } finally {
      await manager.close();
    }

    const directory = tempDir('warden-token-get');
    await writeFile(
      join(directory, 'credentials.yaml'),
      [
        'credentials:',
        '  jobs:',
        '    type: oauth2_client_credentials',
        `    issuer: ${base}`,
        `    client_id: ${worker.client_id}`,
        '    client_secret: ${JOBS_SECRET}',
        '    scopes: [jobs.read]',
      ].join('\n'),
    );
    const run = await warden(['token', 'get', 'jobs', '--json'], {
      cwd: directory,
      env: { JOBS_SECRET: worker.client_secret },
    });
    expect(run.code, run.stderr).toBe(0);
    const output = JSON.parse(run.stdout) as { token: string };
    expect(run.stdout + run.stderr).not.toContain(worker.client_secret);
    expect(await oidc.tokenIntrospection(gatewayConfig, output.token)).toMatchObject({
      active: true,
      client_id: worker.client_id,
      scope: 'jobs.read',
    });
  });
});
