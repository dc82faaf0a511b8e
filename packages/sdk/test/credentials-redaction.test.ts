import { inspect } from 'node:util';
import { CredentialManager, Secret } from '@warden/sdk/credentials';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthorizationServer, type TestAuthorizationServer } from './support/authorization-server.js';
import { browse } from './support/browser.js';
import { captureOutput } from './support/capture.js';

const CONFIGURED_SECRETS = {
  apiKey: 'redaction-api-key-0a1b2c3d4e5f',
  basicPassword: 'redaction-basic-password-9z8y',
  clientSecret: 'redaction-client-secret-7x6w5v',
  userPassword: 'redaction-user-password-4u3t',
  wrongSecret: 'redaction-wrong-secret-2s1r0q',
  webSecret: 'redaction-web-secret-6p5o4n3m',
  otp: '918273',
};

let as: TestAuthorizationServer;

beforeAll(async () => {
  as = await startAuthorizationServer();
  as.addClient({
    client_id: 'r-svc',
    client_secret: CONFIGURED_SECRETS.clientSecret,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
  });
  as.addClient({
    client_id: 'r-pw',
    token_endpoint_auth_method: 'none',
    grant_types: ['password'],
    response_types: [],
    redirect_uris: [],
  });
  as.addClient({
    client_id: 'r-web',
    client_secret: CONFIGURED_SECRETS.webSecret,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: ['https://app.example.test/cb'],
  });
  as.users.set('carol', {
    password: CONFIGURED_SECRETS.userPassword,
    otp: { code: CONFIGURED_SECRETS.otp, style: 'standard' },
  });
});

afterAll(async () => {
  await as.close();
});

describe('redaction', () => {
  it('Secret prints as [redacted] through every path', () => {
    const secret = new Secret('plain-secret-value');
    expect(String(secret)).toBe('[redacted]');
    expect(`${secret}`).toBe('[redacted]');
    expect(JSON.stringify({ secret })).toBe('{"secret":"[redacted]"}');
    expect(inspect(secret)).toBe('Secret([redacted])');
    expect(inspect({ nested: { secret } }, { depth: 5 })).not.toContain('plain-secret-value');
    expect(secret.reveal()).toBe('plain-secret-value');
  });

  it('a full run (all types, tokens, refreshes, failures, events, logged objects) prints no secret', async () => {
    const revealed: string[] = [];
    // Everything secret that crossed the wire (token responses, code verifiers, codes), recorded, never printed.
    const wire: string[] = [];
    const recordingFetch: typeof fetch = async (input, init) => {
      if (init?.body instanceof URLSearchParams) {
        for (const field of ['code', 'code_verifier', 'refresh_token', 'client_assertion']) {
          const value = init.body.get(field);
          if (value) wire.push(value);
        }
      }
      const response = await fetch(input, init);
      const body = (await response
        .clone()
        .json()
        .catch(() => ({}))) as Record<string, unknown>;
      for (const field of ['access_token', 'refresh_token', 'id_token'])
        if (typeof body[field] === 'string') wire.push(body[field] as string);
      return response;
    };
    const capture = captureOutput();
    let manager: CredentialManager | undefined;
    try {
      as.setAccessTokenTtl(2);
      manager = new CredentialManager(
        {
          credentials: {
            key: {
              type: 'api_key',
              key: CONFIGURED_SECRETS.apiKey,
              scheme: 'custom',
              header: 'X-Key',
              prefix: 'Token',
            },
            legacy: { type: 'basic', username: 'svc', password: CONFIGURED_SECRETS.basicPassword },
            service: {
              type: 'oauth2_client_credentials',
              issuer: as.issuer,
              client_id: 'r-svc',
              client_secret: CONFIGURED_SECRETS.clientSecret,
              refresh_fraction: 0.5,
            },
            user: {
              type: 'oauth2_password',
              token_url: as.tokenUrl,
              client_id: 'r-pw',
              username: 'carol',
              password: CONFIGURED_SECRETS.userPassword,
            },
            broken: {
              type: 'oauth2_client_credentials',
              token_url: as.tokenUrl,
              client_id: 'r-svc',
              client_secret: CONFIGURED_SECRETS.wrongSecret,
            },
            web: {
              type: 'oauth2_auth_code',
              issuer: as.issuer,
              client_id: 'r-web',
              client_secret: CONFIGURED_SECRETS.webSecret,
              mode: 'server',
              redirect_uri: 'https://app.example.test/cb',
              scopes: ['openid', 'offline_access'],
            },
          },
        },
        { otp: () => CONFIGURED_SECRETS.otp, fetch: recordingFetch },
      );
      for (const event of ['refreshed', 'refresh_failed', 'expired'] as const) {
        manager.on(event, (payload: unknown) => {
          console.log(`event ${event}`, payload);
          console.log(JSON.stringify(payload));
        });
      }
      for (const name of ['key', 'legacy', 'service', 'user']) {
        revealed.push(await manager.getToken(name));
        revealed.push(...Object.values(await manager.getHeaders(name)));
        const snapshot = await manager.getCredential(name);
        console.log(snapshot);
        console.log(JSON.stringify(snapshot));
        console.error(`${snapshot.token} ${String(snapshot.headers['authorization'])}`);
      }
      const login = await manager.beginLogin('web');
      console.log('login started', login);
      const callback = await browse(login.url, { stopAt: (url) => url.startsWith('https://app.example.test/cb') });
      console.log(await manager.completeLogin('web', callback));
      await manager.refresh('web');
      console.log(await manager.getCredential('web'));
      revealed.push(await manager.getToken('web'));
      const replay = await manager.completeLogin('web', callback).catch((error: unknown) => error);
      console.error(replay);
      const failure = await manager.getToken('broken').catch((error: unknown) => error);
      console.error(failure);
      console.error(JSON.stringify(failure));
      console.error(String(failure));
      console.error(inspect(failure, { depth: 10, showHidden: true }));
      await new Promise<void>((resolve) => manager!.once('refreshed', () => resolve()));
      revealed.push(await manager.getToken('service'));
      console.log(manager);
      console.log(JSON.stringify(manager));
      console.log(`${manager}`);
      process.stdout.write(`${inspect(manager, { depth: 10, showHidden: true })}\n`);
    } finally {
      manager?.close();
      as.setAccessTokenTtl(60);
      capture.restore();
    }
    const output = capture.text();
    // The run did produce output: events, snapshots, errors.
    expect(output).toContain('event refreshed');
    expect(output).toContain('invalid_client');
    expect(output).toContain('[redacted]');
    const secrets = [...Object.values(CONFIGURED_SECRETS), ...revealed, ...wire];
    expect(revealed.length).toBeGreaterThan(8);
    // Access and refresh tokens of several grants, the code and its PKCE verifier were all seen on the wire.
    expect(wire.length).toBeGreaterThan(8);
    for (const secret of secrets) {
      expect(output.includes(secret), `secret of length ${secret.length} leaked`).toBe(false);
    }
    // Basic's base64 form and the bare tokens inside "Bearer ..." values are covered by `revealed`.
    const bearerTokens = revealed.filter((value) => value.startsWith('Bearer ')).map((value) => value.slice(7));
    for (const token of bearerTokens) expect(output.includes(token)).toBe(false);
  });
});
