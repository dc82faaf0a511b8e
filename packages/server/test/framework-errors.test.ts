import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';

/**
 * SECURITY.md #54: errors raised by Fastify or Node's HTTP parser answer with the registry's `{error, message}`
 * body, after admin authentication where the admin API is concerned, and never echo the request.
 */
describe('SECURITY.md #54: framework and protocol errors', () => {
  let t: TestApp;
  let port: number;
  const admin = () => ({ authorization: `Bearer ${t.adminKey}` });

  beforeAll(async () => {
    t = await startTestApp('sqlite');
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    port = (t.app.server.address() as { port: number }).port;
  });
  afterAll(() => t.close());

  /** Sends raw bytes on a new connection; resolves with everything the server wrote before closing. */
  const rawRequest = (bytes: string) =>
    new Promise<string>((resolvePromise, reject) => {
      const socket = connect(port, '127.0.0.1');
      let answer = '';
      socket.setEncoding('latin1');
      socket.on('data', (chunk) => {
        answer += chunk;
      });
      socket.on('error', reject);
      socket.on('close', () => resolvePromise(answer));
      socket.end(Buffer.from(bytes, 'latin1'));
    });
  const bodyOf = (answer: string) => JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));

  const longId = 'x'.repeat(120);
  const tooLongSegment = 'y'.repeat(2000);
  const badlyEncoded = '/v1/admin/keys/%E0%A4%A';

  it.each([
    ['an id of 120 characters', `/v1/admin/keys/${longId}`],
    ['a path segment of 2,000 characters', `/v1/admin/keys/${tooLongSegment}`],
    ['a malformed percent-encoding', badlyEncoded],
    ['an admin path no route serves', '/v1/admin/nothing-here'],
  ])('the admin API authenticates first: %s without a credential is 401, not a framework error', async (_what, url) => {
    const response = await t.app.inject({ method: 'GET', url });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual({ error: 'missing_credentials', message: expect.any(String) });
    expect(response.body).not.toMatch(/FST_|xxxxxxxx|yyyyyyyy|%E0/);
  });

  it('after authentication, each framework error has a registry code and a fixed message that echoes nothing', async () => {
    const long = await t.app.inject({ method: 'GET', url: `/v1/admin/keys/${longId}`, headers: admin() });
    expect(long.statusCode).toBe(404);
    expect(long.json()).toEqual({ error: 'not_found', message: 'no API key with this id' });

    const tooLong = await t.app.inject({ method: 'GET', url: `/v1/admin/keys/${tooLongSegment}`, headers: admin() });
    expect(tooLong.statusCode).toBe(414);
    expect(tooLong.json()).toEqual({ error: 'uri_too_long', message: 'A segment of the request path is too long.' });

    const bad = await t.app.inject({ method: 'GET', url: badlyEncoded, headers: admin() });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual({ error: 'invalid_request', message: 'The request path is not a valid URL.' });

    const unknown = await t.app.inject({ method: 'GET', url: '/v1/admin/nothing-here', headers: admin() });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual({ error: 'not_found', message: 'No such route.' });
  });

  it('a request outside the admin API that matches nothing is a plain 404 without authentication', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/nothing-here' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ error: 'not_found', message: 'No such route.' });
  });

  it('a body that is not JSON is 400 invalid_request and the answer quotes none of it (it may hold a secret)', async () => {
    const secretLike = 'wdn_AAAAAAAAAAAA_BBBBBBBBBBBBBBBBBBBBBBCCCCCC';
    const response = await t.app.inject({
      method: 'POST',
      url: '/v1/admin/keys',
      headers: { ...admin(), 'content-type': 'application/json' },
      payload: `{"subject": ${secretLike}}`,
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ error: 'invalid_request', message: 'The body is not valid JSON.' });
    expect(response.body).not.toContain('BBBBBBBB');
  });

  it('malformed HTTP (a NUL byte in a header value) is 400 invalid_request from the registry, the request not echoed', async () => {
    const answer = await rawRequest(
      'GET /v1/decide HTTP/1.1\r\nHost: warden\r\nAuthorization: Bearer wdn_secret\u0000value\r\n\r\n',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(answer).toMatch(/\r\nConnection: close\r\n/i);
    expect(bodyOf(answer)).toEqual({ error: 'invalid_request', message: 'Malformed HTTP request.' });
    expect(answer).not.toContain('wdn_secret');
  });

  it('a broken request line and oversized headers get registry answers too (400 and 431)', async () => {
    const broken = await rawRequest('THIS IS NOT HTTP\r\n\r\n');
    expect(broken).toMatch(/^HTTP\/1\.1 400 /);
    expect(bodyOf(broken)).toEqual({ error: 'invalid_request', message: 'Malformed HTTP request.' });

    const huge = await rawRequest(`GET /healthz HTTP/1.1\r\nHost: warden\r\nX-Big: ${'z'.repeat(20_000)}\r\n\r\n`);
    expect(huge).toMatch(/^HTTP\/1\.1 431 /);
    expect(bodyOf(huge)).toEqual({
      error: 'request_header_too_large',
      message: 'The request headers are too large.',
    });
  });
});
