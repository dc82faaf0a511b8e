import { once } from 'node:events';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CredentialError, CredentialManager } from '@warden/sdk/credentials';
import { exportJWK, exportPKCS8, generateKeyPair } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  captureRefreshTokens,
  startAuthorizationServer,
  type TestAuthorizationServer,
} from './support/authorization-server.js';
import { browse } from './support/browser.js';

const CLIENT_SECRET = 'cc-secret-5f1e0a9b7c3d2e8f4a6b';
const POST_SECRET = 'post-secret-9a8b7c6d5e4f3a2b1c0d';
const WEB_SECRET = 'web-secret-0f9e8d7c6b5a4f3e2d1c';

let as: TestAuthorizationServer;
let jwtClientPrivatePem: string;
let jwtClientPrivateJwk: Record<string, unknown>;
const managers: CredentialManager[] = [];

function manage(manager: CredentialManager): CredentialManager {
  managers.push(manager);
  return manager;
}

/** Introspect a token at the authorization server, as a resource server would. */
const introspect = (token: string) => as.introspect(token, { id: 'svc-secret', secret: CLIENT_SECRET });

beforeAll(async () => {
  as = await startAuthorizationServer();
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  jwtClientPrivatePem = await exportPKCS8(privateKey);
  jwtClientPrivateJwk = { ...(await exportJWK(privateKey)), kid: 'svc-jwt-1' };
  as.addClient({
    client_id: 'svc-secret',
    client_secret: CLIENT_SECRET,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    scope: 'orders.read orders.write',
  });
  as.addClient({
    client_id: 'svc-post',
    client_secret: POST_SECRET,
    token_endpoint_auth_method: 'client_secret_post',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    scope: 'orders.read',
  });
  as.addClient({
    client_id: 'svc-jwt',
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: 'ES256',
    jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'svc-jwt-1' }] },
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    scope: 'orders.read',
  });
  as.addClient({
    client_id: 'cli-public',
    token_endpoint_auth_method: 'none',
    application_type: 'native',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: ['http://127.0.0.1/callback'],
  });
  as.addClient({
    client_id: 'web-app',
    client_secret: WEB_SECRET,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: ['https://app.example.test/oauth/callback'],
  });
  as.addClient({
    client_id: 'pw-client',
    token_endpoint_auth_method: 'none',
    grant_types: ['password'],
    response_types: [],
    redirect_uris: [],
  });
  as.users.set('alice', { password: 'alice-password-1' });
  as.users.set('bob', { password: 'bob-password-2', otp: { code: '424242', style: 'standard' } });
  as.users.set('kc-user', { password: 'kc-password-3', otp: { code: '135790', style: 'keycloak' } });
});

afterEach(() => {
  for (const manager of managers.splice(0)) manager.close();
  as.setAccessTokenTtl(60);
});

afterAll(async () => {
  await as.close();
});

describe('oauth2_client_credentials against oidc-provider', () => {
  it('gets a token with client_secret_basic via discovery, and the token is active at the server', async () => {
    const manager = manage(
      new CredentialManager({
        credentials: {
          orders: {
            type: 'oauth2_client_credentials',
            issuer: as.issuer,
            client_id: 'svc-secret',
            client_secret: CLIENT_SECRET,
            scopes: ['orders.read'],
          },
        },
      }),
    );
    const token = await manager.getToken('orders');
    const claims = await introspect(token);
    expect(claims).toMatchObject({ active: true, client_id: 'svc-secret', scope: 'orders.read' });
    expect(await manager.getHeaders('orders')).toEqual({ authorization: `Bearer ${token}` });
    const credential = await manager.getCredential('orders');
    expect(credential.expiresAt!.getTime()).toBeGreaterThan(Date.now() + 50_000);
  });

  it('authenticates with client_secret_post against a token_url', async () => {
    const manager = manage(
      new CredentialManager({
        credentials: {
          orders: {
            type: 'oauth2_client_credentials',
            token_url: as.tokenUrl,
            client_id: 'svc-post',
            client_secret: POST_SECRET,
            client_auth: 'client_secret_post',
          },
        },
      }),
    );
    expect(await introspect(await manager.getToken('orders'))).toMatchObject({ active: true, client_id: 'svc-post' });
  });

  it('authenticates with private_key_jwt (ES256 PEM from a field)', async () => {
    const manager = manage(
      new CredentialManager({
        credentials: {
          signer: {
            type: 'oauth2_client_credentials',
            issuer: as.issuer,
            client_id: 'svc-jwt',
            client_auth: 'private_key_jwt',
            private_key: jwtClientPrivatePem,
            key_id: 'svc-jwt-1',
            scopes: 'orders.read',
          },
        },
      }),
    );
    expect(await introspect(await manager.getToken('signer'))).toMatchObject({ active: true, client_id: 'svc-jwt' });
  });

  it('authenticates with private_key_jwt from a PEM file and from a JWK (kid taken from the JWK)', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'warden-pkjwt-'));
    const keyFile = join(directory, 'client-key.pem');
    await writeFile(keyFile, jwtClientPrivatePem, { mode: 0o600 });
    const manager = manage(
      new CredentialManager({
        credentials: {
          fromFile: {
            type: 'oauth2_client_credentials',
            token_url: as.tokenUrl,
            client_id: 'svc-jwt',
            client_auth: 'private_key_jwt',
            private_key_file: keyFile,
            key_id: 'svc-jwt-1',
          },
          fromJwk: {
            type: 'oauth2_client_credentials',
            issuer: as.issuer,
            client_id: 'svc-jwt',
            client_auth: 'private_key_jwt',
            private_key: JSON.stringify(jwtClientPrivateJwk),
          },
        },
      }),
    );
    expect(await introspect(await manager.getToken('fromFile'))).toMatchObject({ active: true, client_id: 'svc-jwt' });
    expect(await introspect(await manager.getToken('fromJwk'))).toMatchObject({ active: true, client_id: 'svc-jwt' });
  });

  it('a key that is not a private key is a config_invalid error at first use, without key material', async () => {
    const manager = manage(
      new CredentialManager({
        credentials: {
          bad: {
            type: 'oauth2_client_credentials',
            token_url: as.tokenUrl,
            client_id: 'svc-jwt',
            client_auth: 'private_key_jwt',
            private_key: 'certainly-not-a-pem-key',
          },
        },
      }),
    );
    const error = (await manager.getToken('bad').catch((caught: unknown) => caught)) as CredentialError;
    expect(error.code).toBe('config_invalid');
    expect(error.message).toContain('PKCS#8 PEM');
    expect(error.message).not.toContain('certainly-not-a-pem-key');
  });

  it("a grant the client may not use is refused with the server's code and reason", async () => {
    const manager = manage(
      new CredentialManager({
        credentials: {
          me: {
            type: 'oauth2_password',
            token_url: as.tokenUrl,
            client_id: 'svc-secret',
            client_secret: CLIENT_SECRET,
            username: 'alice',
            password: 'alice-password-1',
          },
        },
      }),
    );
    // oidc-provider answers invalid_request here where RFC 6749 says unauthorized_client; both map to a code.
    await expect(manager.getToken('me')).rejects.toMatchObject({
      code: 'invalid_request',
      oauthError: 'invalid_request',
      message:
        'credential "me": token endpoint refused the password grant: invalid_request (requested grant type is not allowed for this client)',
    });
  });

  it('reports a wrong client secret as invalid_client without echoing the secret', async () => {
    const wrong = 'definitely-not-the-secret-123';
    const manager = manage(
      new CredentialManager({
        credentials: {
          orders: {
            type: 'oauth2_client_credentials',
            token_url: as.tokenUrl,
            client_id: 'svc-secret',
            client_secret: wrong,
          },
        },
      }),
    );
    const error = await manager.getToken('orders').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CredentialError);
    expect(error).toMatchObject({ code: 'invalid_client', credential: 'orders', status: 401 });
    expect(String((error as Error).message)).not.toContain(wrong);
    expect((error as Error).message).toContain('credential "orders"');
  });

  it('reports a refused scope as invalid_scope', async () => {
    const manager = manage(
      new CredentialManager({
        credentials: {
          orders: {
            type: 'oauth2_client_credentials',
            token_url: as.tokenUrl,
            client_id: 'svc-post',
            client_secret: POST_SECRET,
            client_auth: 'client_secret_post',
            scopes: ['orders.write'],
          },
        },
      }),
    );
    await expect(manager.getToken('orders')).rejects.toMatchObject({ code: 'invalid_scope' });
  });

  it('refreshes ahead of expiry on its own and emits refreshed; single flight under concurrency', async () => {
    as.setAccessTokenTtl(2);
    const manager = manage(
      new CredentialManager({
        credentials: {
          orders: {
            type: 'oauth2_client_credentials',
            token_url: as.tokenUrl,
            client_id: 'svc-secret',
            client_secret: CLIENT_SECRET,
            refresh_fraction: 0.5,
          },
        },
      }),
    );
    const before = as.tokenRequests.get('client_credentials') ?? 0;
    const tokens = await Promise.all(Array.from({ length: 20 }, () => manager.getToken('orders')));
    expect(new Set(tokens).size).toBe(1);
    expect((as.tokenRequests.get('client_credentials') ?? 0) - before).toBe(1);

    const [event] = await once(manager, 'refreshed');
    expect(event).toMatchObject({ credential: 'orders', reason: 'scheduled' });
    const refreshed = await manager.getToken('orders');
    expect(refreshed).not.toBe(tokens[0]);
    expect(await introspect(refreshed)).toMatchObject({ active: true });
  });

  it('fetch() sends the token and, on a 401, forces one refresh and retries once', async () => {
    const manager = manage(
      new CredentialManager({
        credentials: {
          orders: {
            type: 'oauth2_client_credentials',
            token_url: as.tokenUrl,
            client_id: 'svc-secret',
            client_secret: CLIENT_SECRET,
          },
        },
      }),
    );
    const first = await manager.getToken('orders');
    // A resource server that rejects the first token it sees (as if it had been revoked).
    const seen: string[] = [];
    const { createServer } = await import('node:http');
    const resource = createServer((req, res) => {
      const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
      seen.push(token);
      res
        .writeHead(token === first ? 401 : 200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ ok: token !== first }));
    });
    await new Promise<void>((resolve) => resource.listen(0, '127.0.0.1', resolve));
    const port = (resource.address() as { port: number }).port;
    try {
      const response = await manager.fetch('orders', `http://127.0.0.1:${port}/orders`, {
        method: 'POST',
        body: '{"n":1}',
      });
      expect(response.status).toBe(200);
      expect(seen).toHaveLength(2);
      expect(seen[0]).toBe(first);
      expect(seen[1]).not.toBe(first);
      expect(await introspect(seen[1]!)).toMatchObject({ active: true });
    } finally {
      resource.close();
    }
  });

  it('a disabled client fails the background refresh with refresh_failed and no retry', async () => {
    as.addClient({
      client_id: 'svc-temp',
      client_secret: 'temp-secret-abcdef123456',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
    });
    as.setAccessTokenTtl(2);
    const manager = manage(
      new CredentialManager({
        credentials: {
          temp: {
            type: 'oauth2_client_credentials',
            token_url: as.tokenUrl,
            client_id: 'svc-temp',
            client_secret: 'temp-secret-abcdef123456',
            refresh_fraction: 0.3,
          },
        },
      }),
    );
    const refreshFailed = once(manager, 'refresh_failed');
    const expiredEvent = once(manager, 'expired');
    await manager.getToken('temp');
    as.removeClient('svc-temp');
    const [failure] = await refreshFailed;
    expect(failure).toMatchObject({ credential: 'temp', retryInMs: null });
    expect(failure.error.code).toBe('invalid_client');
    const [expired] = await expiredEvent;
    expect(expired.credential).toBe('temp');
    await expect(manager.getToken('temp')).rejects.toMatchObject({ code: 'invalid_client' });
  });
});

describe('oauth2_password against oidc-provider with a registered password grant', () => {
  const base = () => ({ type: 'oauth2_password', token_url: as.tokenUrl, client_id: 'pw-client' });

  it('logs in without OTP', async () => {
    const manager = manage(
      new CredentialManager({ credentials: { me: { ...base(), username: 'alice', password: 'alice-password-1' } } }),
    );
    expect(await introspect(await manager.getToken('me'))).toMatchObject({ active: true, sub: 'alice' });
  });

  it('wrong password is invalid_grant, distinct from OTP errors', async () => {
    const manager = manage(
      new CredentialManager({ credentials: { me: { ...base(), username: 'alice', password: 'wrong-password-x' } } }),
    );
    const error = (await manager.getToken('me').catch((caught: unknown) => caught)) as CredentialError;
    expect(error.code).toBe('invalid_grant');
    expect(error.message).toContain('wrong username or password');
    expect(error.message).not.toContain('wrong-password-x');
  });

  for (const [style, user, password, code, parameter] of [
    ['standard (mfa_required)', 'bob', 'bob-password-2', '424242', 'otp'],
    ['Keycloak (Missing parameter: totp)', 'kc-user', 'kc-password-3', '135790', 'totp'],
  ] as const) {
    describe(`OTP, ${style} answers`, () => {
      const config = () => ({ ...base(), username: user, password, otp_parameter: parameter });

      it('without an otp callback fails with otp_required', async () => {
        const manager = manage(new CredentialManager({ credentials: { me: config() } }));
        await expect(manager.getToken('me')).rejects.toMatchObject({ code: 'otp_required', credential: 'me' });
      });

      it('with a callback giving the right code, logs in', async () => {
        const asked: number[] = [];
        const manager = manage(
          new CredentialManager(
            { credentials: { me: config() } },
            {
              otp: {
                me: ({ attempt }) => {
                  asked.push(attempt);
                  return code;
                },
              },
            },
          ),
        );
        expect(await introspect(await manager.getToken('me'))).toMatchObject({ active: true, sub: user });
        expect(asked).toEqual([1]);
      });

      it('a wrong code is otp_invalid after the configured attempts, a second try can succeed', async () => {
        const wrongOnly = manage(
          new CredentialManager({ credentials: { me: { ...config(), otp_attempts: 2 } } }, { otp: () => '000000' }),
        );
        await expect(wrongOnly.getToken('me')).rejects.toMatchObject({ code: 'otp_invalid' });

        const codes = ['111111', code];
        const secondTime = manage(
          new CredentialManager({ credentials: { me: config() } }, { otp: () => codes.shift() }),
        );
        expect(await secondTime.getToken('me')).toBeTruthy();
      });

      it('a callback that gives up yields otp_required', async () => {
        const manager = manage(new CredentialManager({ credentials: { me: config() } }, { otp: () => undefined }));
        await expect(manager.getToken('me')).rejects.toMatchObject({ code: 'otp_required' });
      });
    });
  }
});

describe('oauth2_auth_code through oidc-provider endpoints (PKCE)', () => {
  it('loopback mode: listener on 127.0.0.1, browser round trip, token and refresh token; refresh works', async () => {
    let shownUrl = '';
    const manager = manage(
      new CredentialManager(
        {
          credentials: {
            me: {
              type: 'oauth2_auth_code',
              issuer: as.issuer,
              client_id: 'cli-public',
              scopes: ['openid', 'offline_access'],
            },
          },
        },
        {
          onAuthorizationUrl: (url) => {
            shownUrl = url;
          },
          // The "browser": follow the redirects through oidc-provider to our loopback listener.
          openBrowser: async (url) => {
            void browse(url);
          },
        },
      ),
    );
    const snapshot = await manager.login('me', { openBrowser: true });
    const authorizationUrl = new URL(shownUrl);
    expect(authorizationUrl.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorizationUrl.searchParams.get('redirect_uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    expect(await introspect(snapshot.token.reveal())).toMatchObject({
      active: true,
      sub: 'user-1',
      client_id: 'cli-public',
    });

    await manager.refresh('me');
    const refreshed = await manager.getToken('me');
    expect(refreshed).not.toBe(snapshot.token.reveal());
    expect(await introspect(refreshed)).toMatchObject({ active: true, sub: 'user-1' });
  });

  it('loopback mode starts the login by itself on getToken when interactive', async () => {
    const manager = manage(
      new CredentialManager(
        {
          credentials: {
            me: { type: 'oauth2_auth_code', issuer: as.issuer, client_id: 'cli-public', scopes: ['openid'] },
          },
        },
        { onAuthorizationUrl: (url) => void browse(url) },
      ),
    );
    expect(await introspect(await manager.getToken('me'))).toMatchObject({ active: true });
  });

  it('loopback mode with interactive: false does not start a login by itself (login_required)', async () => {
    const manager = manage(
      new CredentialManager(
        {
          credentials: {
            me: { type: 'oauth2_auth_code', issuer: as.issuer, client_id: 'cli-public', scopes: ['openid'] },
          },
        },
        { interactive: false, onAuthorizationUrl: () => {} },
      ),
    );
    await expect(manager.getToken('me')).rejects.toMatchObject({ code: 'login_required' });
  });

  it('loopback mode: nobody comes back from the browser -> login_timeout, and the listener is gone', async () => {
    let redirect = '';
    const manager = manage(
      new CredentialManager(
        {
          credentials: {
            me: {
              type: 'oauth2_auth_code',
              issuer: as.issuer,
              client_id: 'cli-public',
              scopes: ['openid'],
              login_timeout: '300ms',
            },
          },
        },
        {
          onAuthorizationUrl: (url) => {
            redirect = new URL(url).searchParams.get('redirect_uri')!;
          },
        },
      ),
    );
    await expect(manager.login('me')).rejects.toMatchObject({ code: 'login_timeout' });
    await expect(fetch(redirect)).rejects.toThrow();
  });

  it('server mode: beginLogin / completeLogin with state kept per login; state is single use', async () => {
    as.setLoginAccount('user-web');
    const redirectUri = 'https://app.example.test/oauth/callback';
    const manager = manage(
      new CredentialManager({
        credentials: {
          web: {
            type: 'oauth2_auth_code',
            issuer: as.issuer,
            client_id: 'web-app',
            client_secret: WEB_SECRET,
            mode: 'server',
            redirect_uri: redirectUri,
            scopes: ['openid', 'offline_access'],
          },
        },
      }),
    );
    await expect(manager.getToken('web')).rejects.toMatchObject({ code: 'login_required' });
    const first = await manager.beginLogin('web');
    const second = await manager.beginLogin('web');
    expect(first.state).not.toBe(second.state);
    // The user completes the second login first: logins are independent.
    const callback = await browse(second.url, { stopAt: (url) => url.startsWith(redirectUri) });
    expect(new URL(callback).searchParams.get('state')).toBe(second.state);
    const snapshot = await manager.completeLogin('web', callback);
    expect(await introspect(snapshot.token.reveal())).toMatchObject({
      active: true,
      sub: 'user-web',
      client_id: 'web-app',
    });
    expect(await manager.getToken('web')).toBe(snapshot.token.reveal());
    await expect(manager.completeLogin('web', callback)).rejects.toMatchObject({ code: 'login_state_invalid' });
    await expect(manager.completeLogin('web', { code: 'x', state: 'forged' })).rejects.toMatchObject({
      code: 'login_state_invalid',
    });
    as.setLoginAccount('user-1');
  });

  it('server mode: a denied login surfaces access_denied', async () => {
    as.setDenyLogins(true);
    try {
      const redirectUri = 'https://app.example.test/oauth/callback';
      const manager = manage(
        new CredentialManager({
          credentials: {
            web: {
              type: 'oauth2_auth_code',
              issuer: as.issuer,
              client_id: 'web-app',
              client_secret: WEB_SECRET,
              mode: 'server',
              redirect_uri: redirectUri,
              scopes: ['openid'],
            },
          },
        }),
      );
      const { url } = await manager.beginLogin('web');
      const callback = await browse(url, { stopAt: (next) => next.startsWith(redirectUri) });
      await expect(manager.completeLogin('web', callback)).rejects.toMatchObject({ code: 'access_denied' });
    } finally {
      as.setDenyLogins(false);
    }
  });

  it('server mode: an expired pending login is login_expired', async () => {
    let now = Date.now();
    const redirectUri = 'https://app.example.test/oauth/callback';
    const manager = manage(
      new CredentialManager(
        {
          credentials: {
            web: {
              type: 'oauth2_auth_code',
              issuer: as.issuer,
              client_id: 'web-app',
              client_secret: WEB_SECRET,
              mode: 'server',
              redirect_uri: redirectUri,
              pending_login_ttl: '1m',
              scopes: ['openid'],
            },
          },
        },
        { now: () => now },
      ),
    );
    const { state } = await manager.beginLogin('web');
    now += 61_000;
    await expect(manager.completeLogin('web', { code: 'irrelevant', state })).rejects.toMatchObject({
      code: 'login_expired',
    });
  });
});

describe('oauth2_tokens (pre-acquired) against oidc-provider', () => {
  /** Obtain a real access + refresh token pair through the auth-code flow, as a user would elsewhere. */
  async function tokensFromElsewhere(): Promise<{ accessToken: string; refreshToken: string }> {
    const redirectUri = 'https://app.example.test/oauth/callback';
    const captured = captureRefreshTokens();
    const elsewhere = manage(
      new CredentialManager(
        {
          credentials: {
            web: {
              type: 'oauth2_auth_code',
              issuer: as.issuer,
              client_id: 'web-app',
              client_secret: WEB_SECRET,
              mode: 'server',
              redirect_uri: redirectUri,
              scopes: ['openid', 'offline_access'],
            },
          },
        },
        { fetch: captured.fetch },
      ),
    );
    const { url } = await elsewhere.beginLogin('web');
    const snapshot = await elsewhere.completeLogin(
      'web',
      await browse(url, { stopAt: (next) => next.startsWith(redirectUri) }),
    );
    elsewhere.close();
    return { accessToken: snapshot.token.reveal(), refreshToken: captured.latest() };
  }

  it('uses the given access token first, then refreshes with the (rotating) refresh token', async () => {
    const { accessToken, refreshToken } = await tokensFromElsewhere();
    expect(refreshToken).not.toBe('');
    const manager = manage(
      new CredentialManager({
        credentials: {
          session: {
            type: 'oauth2_tokens',
            issuer: as.issuer,
            client_id: 'web-app',
            client_secret: WEB_SECRET,
            access_token: accessToken,
            refresh_token: refreshToken,
          },
        },
      }),
    );
    expect(await manager.getToken('session')).toBe(accessToken);
    await manager.refresh('session');
    const second = await manager.getToken('session');
    expect(second).not.toBe(accessToken);
    expect(await introspect(second)).toMatchObject({ active: true, sub: 'user-1' });
    // Refresh again: works only if the rotated refresh token replaced the original one.
    await manager.refresh('session');
    expect(await introspect(await manager.getToken('session'))).toMatchObject({ active: true });
  });

  it('a refresh token alone is enough; a revoked one fails with invalid_grant', async () => {
    const { refreshToken } = await tokensFromElsewhere();
    const manager = manage(
      new CredentialManager({
        credentials: {
          session: {
            type: 'oauth2_tokens',
            token_url: as.tokenUrl,
            client_id: 'web-app',
            client_secret: WEB_SECRET,
            refresh_token: refreshToken,
          },
        },
      }),
    );
    expect(await introspect(await manager.getToken('session'))).toMatchObject({ active: true });

    const other = await tokensFromElsewhere();
    await fetch(`${as.issuer}/token/revocation`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`web-app:${WEB_SECRET}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token: other.refreshToken, token_type_hint: 'refresh_token' }),
    });
    const revoked = manage(
      new CredentialManager({
        credentials: {
          session: {
            type: 'oauth2_tokens',
            token_url: as.tokenUrl,
            client_id: 'web-app',
            client_secret: WEB_SECRET,
            refresh_token: other.refreshToken,
          },
        },
      }),
    );
    const error = (await revoked.getToken('session').catch((caught: unknown) => caught)) as CredentialError;
    expect(error.code).toBe('invalid_grant');
    expect(error.message).not.toContain(other.refreshToken);
  });
});
