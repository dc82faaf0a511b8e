import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/http/app.js';
import { tempDir } from './helpers/databases.js';
import { startTestWarden, type TestWarden } from './helpers/engine.js';
import { writeNginxConfig } from './helpers/nginx.js';

/**
 * The README's nginx `auth_request` setup, run against a real nginx from Debian (installed by .ci/run). Outside
 * CI the suite is skipped when nginx is not installed; under CI=true its absence fails the run.
 */
const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((path) => existsSync(path));
if (!NGINX && process.env.CI === 'true') throw new Error('nginx is required under CI (apt-get install nginx-light)');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitForPort(url: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw new Error(`${url} did not answer`);
}

describe.skipIf(!NGINX)('behind a real nginx (auth_request), as the README shows', () => {
  let t: TestWarden;
  let app: FastifyInstance;
  let upstream: Server;
  let nginx: ChildProcess;
  let base: string;

  beforeAll(async () => {
    t = await startTestWarden('sqlite');
    app = buildApp(t.warden);
    await app.listen({ host: '127.0.0.1', port: 0 });
    const wardenPort = (app.server.address() as AddressInfo).port;

    // The protected service: echoes the headers it received.
    upstream = createServer((request, response) => {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ url: request.url, headers: request.headers }));
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const upstreamPort = (upstream.address() as AddressInfo).port;

    const dir = tempDir('warden-nginx');
    const port = await freePort();
    writeNginxConfig(
      dir,
      `  server {
    listen 127.0.0.1:${port};
    location = /_warden {
      internal;
      proxy_pass http://127.0.0.1:${wardenPort}/v1/decide;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Original-Method $request_method;
      proxy_set_header X-Original-URI $request_uri;
    }
    location /api/ {
      auth_request /_warden;
      auth_request_set $auth_subject $upstream_http_x_auth_subject;
      auth_request_set $auth_scopes  $upstream_http_x_auth_scopes;
      proxy_set_header X-Auth-Subject $auth_subject;
      proxy_set_header X-Auth-Scopes  $auth_scopes;
      proxy_pass http://127.0.0.1:${upstreamPort};
    }
  }`,
    );
    execFileSync(NGINX!, ['-t', '-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: 'pipe' });
    nginx = spawn(NGINX!, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: 'ignore' });
    base = `http://127.0.0.1:${port}`;
    await waitForPort(`${base}/`);
  });

  afterAll(async () => {
    nginx?.kill('SIGTERM');
    upstream?.close();
    await app?.close();
    await t?.close();
  });

  it('a request without a key never reaches the service (401)', async () => {
    const response = await fetch(`${base}/api/orders`);
    expect(response.status).toBe(401);
  });

  it('a valid key reaches the service with Warden identity headers', async () => {
    const { key } = await t.warden.keys.create(
      { subject: 'orders-svc', scopes: ['orders.read', 'orders.write'] },
      { actor: 'test' },
    );
    const response = await fetch(`${base}/api/orders?page=2`, { headers: { 'x-api-key': key } });
    expect(response.status).toBe(200);
    const seen = (await response.json()) as { url: string; headers: Record<string, string> };
    expect(seen.url).toBe('/api/orders?page=2');
    expect(seen.headers['x-auth-subject']).toBe('orders-svc');
    expect(seen.headers['x-auth-scopes']).toBe('orders.read orders.write');
  });

  it('SECURITY.md #48: a client-sent X-Auth-Subject is overwritten, not passed through', async () => {
    const { key } = await t.warden.keys.create({ subject: 'real-caller' }, { actor: 'test' });
    const response = await fetch(`${base}/api/orders`, { headers: { 'x-api-key': key, 'x-auth-subject': 'admin' } });
    const seen = (await response.json()) as { headers: Record<string, string> };
    expect(seen.headers['x-auth-subject']).toBe('real-caller');
    const forged = await fetch(`${base}/api/orders`, { headers: { 'x-auth-subject': 'admin' } });
    expect(forged.status).toBe(401);
  });

  it('a revoked key is refused at the proxy at once', async () => {
    const { key, record } = await t.warden.keys.create({ subject: 'short-lived' }, { actor: 'test' });
    expect((await fetch(`${base}/api/x`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
    await t.warden.keys.revoke(record.id, {}, { actor: 'test' });
    expect((await fetch(`${base}/api/x`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(401);
  });
});
