import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CredentialManager } from '@warden/sdk/credentials';
import { SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

const SECRET = 'fault-client-secret-7d6c5b4a';

/** A token endpoint whose next answers the test scripts; speaks whatever the test makes it speak. */
type Answer = (req: IncomingMessage, res: ServerResponse, body: URLSearchParams) => void;
let answers: Answer[] = [];
let requests = 0;
let server: Server;
let base = '';
const managers: CredentialManager[] = [];
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

function json(status: number, body: unknown, headers: Record<string, string> = {}): Answer {
  return (_req, res) =>
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

function manage(
  config: Record<string, unknown>,
  options: ConstructorParameters<typeof CredentialManager>[1] = {},
): CredentialManager {
  const manager = new CredentialManager(
    {
      credentials: {
        svc: {
          type: 'oauth2_client_credentials',
          token_url: `${base}/token`,
          client_id: 'svc',
          client_secret: SECRET,
          ...config,
        },
      },
    },
    { retry: { attempts: 1, baseDelayMs: 20, maxDelayMs: 100 }, ...options },
  );
  managers.push(manager);
  return manager;
}

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests += 1;
      const answer = answers.length > 1 ? answers.shift()! : answers[0];
      if (!answer) return res.writeHead(500).end();
      answer(req, res, new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(() => {
  for (const manager of managers.splice(0)) manager.close();
  answers = [];
  requests = 0;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  process.off('unhandledRejection', onUnhandled);
  // Nothing in this file may leave a rejection unhandled, however broken the server was.
  expect(unhandled).toEqual([]);
});

describe('faults of the token endpoint', () => {
  it('unreachable token URL: endpoint_unreachable naming URL and cause, retried with backoff', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    let calls = 0;
    const manager = manage(
      { token_url: `http://127.0.0.1:${port}/token` },
      {
        retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 50 },
        fetch: (input, init) => {
          calls += 1;
          return fetch(input, init);
        },
      },
    );
    const error = (await manager.getToken('svc').catch((caught: unknown) => caught)) as Error & { code: string };
    expect(error.code).toBe('endpoint_unreachable');
    expect(error.message).toBe(
      `credential "svc": cannot reach token endpoint http://127.0.0.1:${port}/token: ECONNREFUSED`,
    );
    expect(calls).toBe(3);
  });

  it('a token endpoint that never answers fails at the timeout', async () => {
    answers = [() => {}];
    const manager = manage({ timeout: '300ms' });
    await expect(manager.getToken('svc')).rejects.toMatchObject({
      code: 'endpoint_unreachable',
      message: expect.stringContaining('no answer within 300 ms'),
    });
  });

  it('an HTML error page (502 from a proxy) is a clear, retryable error', async () => {
    answers = [
      (_req, res) =>
        res
          .writeHead(502, { 'content-type': 'text/html' })
          .end('<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>'),
    ];
    const error = (await manage({})
      .getToken('svc')
      .catch((caught: unknown) => caught)) as Error & { code: string; retryable: boolean; status: number };
    expect(error).toMatchObject({ code: 'token_endpoint_error', status: 502, retryable: true });
    expect(error.message).toContain('answered HTTP 502 with an HTML page (text/html, title "502 Bad Gateway")');
  });

  it('a 200 that is not JSON, and a 400 HTML page, are invalid_response', async () => {
    answers = [
      (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('access_token=abc&expires_in=3600'),
    ];
    await expect(manage({}).getToken('svc')).rejects.toMatchObject({
      code: 'invalid_response',
      message: expect.stringContaining('a body that is not JSON (text/plain'),
    });
    answers = [
      (_req, res) => res.writeHead(400, { 'content-type': 'text/html' }).end('<!DOCTYPE html><title>Bad</title>'),
    ];
    await expect(manage({}).getToken('svc')).rejects.toMatchObject({ code: 'invalid_response', status: 400 });
  });

  it('a JSON answer without access_token, with a bad expires_in, or a non-Bearer token_type is invalid_response', async () => {
    answers = [json(200, { token_type: 'Bearer', expires_in: 60 })];
    await expect(manage({}).getToken('svc')).rejects.toMatchObject({
      code: 'invalid_response',
      message: expect.stringContaining('has no access_token'),
    });
    answers = [json(200, { access_token: 'opaque-token-1', token_type: 'Bearer', expires_in: -5 })];
    await expect(manage({}).getToken('svc')).rejects.toMatchObject({
      message: expect.stringContaining('expires_in that is not a positive number'),
    });
    answers = [json(200, { access_token: 'opaque-token-1', token_type: 'DPoP', expires_in: 60 })];
    await expect(manage({}).getToken('svc')).rejects.toMatchObject({
      message: expect.stringContaining('only Bearer tokens are supported'),
    });
  });

  it('expires_in as a numeric string is accepted', async () => {
    answers = [json(200, { access_token: 'opaque-token-2', token_type: 'bearer', expires_in: '120' })];
    const credential = await manage({}).getCredential('svc');
    expect(credential.expiresAt!.getTime() - Date.now()).toBeGreaterThan(100_000);
  });

  it('an opaque token without expires_in has no known expiry and no refresh timer; it is used until a 401', async () => {
    answers = [json(200, { access_token: 'opaque-token-3', token_type: 'Bearer' })];
    const manager = manage({});
    const credential = await manager.getCredential('svc');
    expect(credential.expiresAt).toBeNull();
    expect(manager.activeTimers()).toBe(0);
    expect(await manager.getToken('svc')).toBe('opaque-token-3');
    expect(requests).toBe(1);
  });

  it('clock skew: a JWT without expires_in gets its lifetime from exp - iat, counted on our clock', async () => {
    // The server's clock is an hour ahead: exp is far in our future, but the token lives 60 s.
    const serverNow = Math.floor(Date.now() / 1000) + 3600;
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt(serverNow)
      .setExpirationTime(serverNow + 60)
      .sign(new Uint8Array(32));
    answers = [json(200, { access_token: token, token_type: 'Bearer' })];
    const credential = await manage({}).getCredential('svc');
    const lifetime = credential.expiresAt!.getTime() - Date.now();
    expect(lifetime).toBeGreaterThan(55_000);
    expect(lifetime).toBeLessThanOrEqual(60_000);
  });

  it('clock skew: a JWT without iat is corrected by the server Date header; an hour-behind server is not "expired"', async () => {
    const serverNow = Date.now() - 3_600_000;
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime(Math.floor(serverNow / 1000) + 120)
      .sign(new Uint8Array(32));
    answers = [json(200, { access_token: token, token_type: 'Bearer' }, { date: new Date(serverNow).toUTCString() })];
    const credential = await manage({}).getCredential('svc');
    const lifetime = credential.expiresAt!.getTime() - Date.now();
    expect(lifetime).toBeGreaterThan(110_000);
    expect(lifetime).toBeLessThan(125_000);
  });

  it('a JWT that is expired on arrival (no expires_in, no iat, no usable Date) is a clear error', async () => {
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime(Math.floor(Date.now() / 1000) - 10)
      .sign(new Uint8Array(32));
    answers = [
      (_req, res) =>
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ access_token: token, token_type: 'Bearer' })),
    ];
    await expect(manage({}).getToken('svc')).rejects.toMatchObject({
      code: 'invalid_response',
      message: expect.stringContaining('already expired on arrival'),
    });
  });

  it('an error_description that echoes the client secret is scrubbed', async () => {
    answers = [json(401, { error: 'invalid_client', error_description: `client secret ${SECRET} is wrong` })];
    const error = (await manage({})
      .getToken('svc')
      .catch((caught: unknown) => caught)) as Error;
    expect(error.message).toContain('invalid_client (client secret [redacted] is wrong)');
    expect(error.message).not.toContain(SECRET);
  });

  it('background refresh: 503 then success, with refresh_failed carrying the backoff, then refreshed', async () => {
    let issued = 0;
    const token = (): Answer => json(200, { access_token: `token-${++issued}`, token_type: 'Bearer', expires_in: 1 });
    answers = [token(), json(503, { error: 'temporarily_unavailable' }), token(), token()];
    const manager = manage(
      { refresh_fraction: 0.3 },
      { retry: { attempts: 1, baseDelayMs: 50, maxDelayMs: 100 }, random: () => 0.5 },
    );
    expect(await manager.getToken('svc')).toBe('token-1');
    const [failure] = await once(manager, 'refresh_failed');
    expect(failure).toMatchObject({ credential: 'svc', attempt: 1, retryInMs: 38 });
    expect(failure.error.code).toBe('token_endpoint_error');
    const [refreshed] = await once(manager, 'refreshed');
    expect(refreshed).toMatchObject({ credential: 'svc', reason: 'scheduled' });
    expect(await manager.getToken('svc')).toBe('token-2');
  });

  it('a refresh_interval refreshes at the fixed interval', async () => {
    let issued = 0;
    answers = [
      (_req, res) =>
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ access_token: `interval-${++issued}`, token_type: 'Bearer', expires_in: 3600 })),
    ];
    const manager = manage({ refresh_interval: '300ms' });
    expect(await manager.getToken('svc')).toBe('interval-1');
    await once(manager, 'refreshed');
    expect(await manager.getToken('svc')).toBe('interval-2');
  });

  it('close() stops every timer and pending retry; the manager refuses work afterwards', async () => {
    answers = [json(200, { access_token: 'closing-token', token_type: 'Bearer', expires_in: 3600 })];
    const manager = manage({});
    await manager.getToken('svc');
    expect(manager.activeTimers()).toBe(2);
    manager.close();
    expect(manager.activeTimers()).toBe(0);
    await expect(manager.getToken('svc')).rejects.toMatchObject({ code: 'closed' });
  });

  it('close() during a retry backoff ends the wait with a closed error, not a hang', async () => {
    answers = [json(503, { error: 'temporarily_unavailable' })];
    const manager = manage({}, { retry: { attempts: 5, baseDelayMs: 60_000, maxDelayMs: 60_000 } });
    const pending = manager.getToken('svc').catch((error: unknown) => error);
    // Wait for the first attempt to fail and the backoff to start, however slow the machine is.
    await vi.waitFor(() => expect(manager.activeTimers()).toBe(1), { timeout: 10_000, interval: 20 });
    manager.close();
    expect(await pending).toMatchObject({ code: 'closed' });
  });

  it('discovery whose issuer differs from the configured one is refused', async () => {
    answers = [json(200, { issuer: 'https://evil.example.com', token_endpoint: `${base}/token` })];
    const manager = new CredentialManager({
      credentials: {
        svc: { type: 'oauth2_client_credentials', issuer: base, client_id: 'svc', client_secret: SECRET },
      },
    });
    managers.push(manager);
    await expect(manager.getToken('svc')).rejects.toMatchObject({
      code: 'discovery_failed',
      message: expect.stringContaining('must equal the configured issuer'),
    });
  });
});
