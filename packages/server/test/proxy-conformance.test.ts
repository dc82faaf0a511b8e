import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, request, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/http/app.js';
import { type GeneratedCertificate, generateCertificate } from '../src/mtls/generate.js';
import { REPO_ROOT } from './helpers/cli.js';
import { createTestDatabase, type TestDatabase, tempDir, testDialects } from './helpers/databases.js';
import { startTestWarden, type TestWarden } from './helpers/engine.js';
import { writeNginxConfig } from './helpers/nginx.js';
import { TcpRelay } from './helpers/tcp-relay.js';

/**
 * One conformance table, through every real proxy on this machine: nginx (`auth_request`) and Caddy
 * (`forward_auth`), each run with the configuration in deploy/ as written (addresses and port replaced). Every row
 * must give the same answer through each proxy. Traefik and Envoy are not packaged here: their request shapes, as
 * their documentation gives them, are sent to Warden directly at the end.
 */
const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((path) => existsSync(path));
const CADDY = ['/usr/bin/caddy', '/usr/local/bin/caddy'].find((path) => existsSync(path));
if (process.env.CI === 'true' && (!NGINX || !CADDY)) {
  throw new Error('nginx and caddy are required under CI (apt-get install nginx-light caddy)');
}
const dialects = await testDialects();
const DIALECT = dialects.includes('postgres') ? 'postgres' : 'sqlite';

const RULES = [
  { name: 'public', path: '/public/**', authenticators: ['api_key', 'jwt', 'anonymous'] },
  { name: 'admin', path: '/admin/**', require: { admin: true } },
  { name: 'everything-else', path: '/**', priority: -1 },
];

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  /** What the upstream service saw, when the request reached it. */
  upstream: { url: string; headers: IncomingHttpHeaders } | null;
}

/** Reads a response to the end: its status, headers, and what the upstream saw when the request reached it. */
function collectAnswer(response: IncomingMessage, resolve: (answer: Answer) => void): void {
  let body = '';
  response.setEncoding('utf8');
  response.on('data', (chunk) => {
    body += chunk;
  });
  response.on('end', () => {
    const upstream = response.headers['x-test-upstream'] === 'yes' ? JSON.parse(body) : null;
    resolve({ status: response.statusCode!, headers: response.headers, upstream });
  });
}

/** A request with its path exactly as given (fetch would resolve `..` before sending it). */
function send(port: number, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: '127.0.0.1', port, path, method: 'GET', headers }, (response) =>
      collectAnswer(response, resolve),
    );
    outgoing.on('error', reject);
    outgoing.end();
  });
}

async function waitForPort(port: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    try {
      await send(port, '/');
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw new Error(`nothing answered on port ${port}`);
}

/** A deploy/ example with its addresses pointed at this test's Warden, service and port. */
function deployConfig(file: string, wardenPort: number, upstreamPort: number, listen: string): string {
  return readFileSync(join(REPO_ROOT, 'deploy', file), 'utf8')
    .replaceAll('127.0.0.1:8080', `127.0.0.1:${wardenPort}`)
    .replaceAll('127.0.0.1:3000', `127.0.0.1:${upstreamPort}`)
    .replace(/listen 80;|^:80 \{/m, listen);
}

function startNginx(dir: string, wardenPort: number, upstreamPort: number, port: number): ChildProcess {
  const server = deployConfig('nginx.conf', wardenPort, upstreamPort, `listen 127.0.0.1:${port};`);
  writeNginxConfig(dir, server);
  execFileSync(NGINX!, ['-t', '-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: 'pipe' });
  return spawn(NGINX!, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: 'ignore' });
}

function startCaddy(dir: string, wardenPort: number, upstreamPort: number, port: number): ChildProcess {
  const site = deployConfig('Caddyfile', wardenPort, upstreamPort, `http://127.0.0.1:${port} {`);
  // No admin endpoint, and no state in the home directory of whoever runs the tests.
  writeFileSync(join(dir, 'Caddyfile'), `{\n\tadmin off\n}\n\n${site}`);
  execFileSync(CADDY!, ['validate', '--config', join(dir, 'Caddyfile'), '--adapter', 'caddyfile'], {
    stdio: 'pipe',
    env: { ...process.env, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir, HOME: dir },
  });
  return spawn(CADDY!, ['run', '--config', join(dir, 'Caddyfile'), '--adapter', 'caddyfile'], {
    stdio: 'ignore',
    env: { ...process.env, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir, HOME: dir },
  });
}

describe.skipIf(!NGINX || !CADDY)(`the proxy conformance table (nginx and Caddy, Warden on ${DIALECT})`, () => {
  let database: TestDatabase;
  let relay: TcpRelay | null = null;
  let t: TestWarden;
  let app: FastifyInstance;
  let upstream: Server;
  const proxies: { name: string; process: ChildProcess; port: number }[] = [];
  let reader: string;
  let admin: string;
  let jwt: string;

  beforeAll(async () => {
    database = await createTestDatabase(DIALECT);
    let url = database.url;
    if (DIALECT === 'postgres') {
      // Through a relay the test can cut: "storage down" is a real network failure.
      const direct = new URL(database.url);
      relay = await TcpRelay.start({ host: direct.hostname, port: Number(direct.port || 5432) });
      const relayed = new URL(database.url);
      relayed.hostname = '127.0.0.1';
      relayed.port = String(relay.port);
      url = relayed.toString();
    }
    t = await startTestWarden(DIALECT, {
      database: { ...database, url },
      config: { rules: RULES as never, database: { query_timeout: '1s' } },
    });
    app = buildApp(t.warden);
    await app.listen({ host: '127.0.0.1', port: 0 });
    const wardenPort = (app.server.address() as AddressInfo).port;
    upstream = createServer((incoming, response) => {
      response.setHeader('content-type', 'application/json');
      response.setHeader('x-test-upstream', 'yes');
      response.end(JSON.stringify({ url: incoming.url, headers: incoming.headers }));
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const upstreamPort = (upstream.address() as AddressInfo).port;
    for (const [name, start] of [
      ['nginx', startNginx],
      ['caddy', startCaddy],
    ] as const) {
      const port = await freePort();
      proxies.push({ name, process: start(tempDir(`warden-${name}`), wardenPort, upstreamPort, port), port });
      await waitForPort(port);
    }
    const create = async (input: Record<string, unknown>) =>
      (await t.warden.keys.create({ subject: 's', ...input }, { actor: 'test' })).key;
    reader = await create({ subject: 'reader', scopes: ['orders.read'] });
    admin = await create({ subject: 'root', admin: true });
    const client = await t.warden.clients.create({ name: 'svc', scopes: ['orders.read'] }, { actor: 'test' });
    const token = await app.inject({
      method: 'POST',
      url: '/oauth2/token',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`,
      },
      payload: 'grant_type=client_credentials',
    });
    jwt = token.json().access_token;
  }, 60_000);

  afterAll(async () => {
    for (const proxy of proxies) proxy.process.kill('SIGTERM');
    upstream?.close();
    await app?.close();
    await t?.close();
    await relay?.close();
    await database?.drop();
  });

  /** Sends the same request through every proxy and returns each answer, by proxy name. */
  const throughEach = async (path: string, headers: Record<string, string> = {}) =>
    Object.fromEntries(
      await Promise.all(proxies.map(async (p) => [p.name, await send(p.port, path, headers)] as const)),
    );

  it('an API key and a Warden JWT reach the service with Warden identity headers', async () => {
    for (const [credential, subject, kind] of [
      [reader, 'reader', 'api_key'],
      [jwt, undefined, 'jwt'],
    ] as const) {
      for (const [name, answer] of Object.entries(
        await throughEach('/orders/1', { authorization: `Bearer ${credential}` }),
      )) {
        expect(answer.status, name).toBe(200);
        expect(answer.upstream?.headers['x-auth-credential'], name).toBe(kind);
        if (subject) expect(answer.upstream?.headers['x-auth-subject'], name).toBe(subject);
      }
    }
  });

  it('no credential: 401 with the RFC 6750 challenge, and the service never sees the request', async () => {
    for (const [name, answer] of Object.entries(await throughEach('/orders/1'))) {
      expect(answer.status, name).toBe(401);
      expect(answer.upstream, name).toBe(null);
      expect(answer.headers['www-authenticate'], name).toContain('Bearer realm="warden"');
    }
  });

  it('an anonymous route lets a request without credentials in as the anonymous principal', async () => {
    for (const [name, answer] of Object.entries(await throughEach('/public/docs'))) {
      expect(answer.status, name).toBe(200);
      expect(answer.upstream?.headers['x-auth-subject-type'], name).toBe('anonymous');
    }
  });

  it('SECURITY.md #48: identity headers a client sends never reach the service as if Warden set them', async () => {
    const spoofed = {
      authorization: `Bearer ${reader}`,
      'X-Auth-Subject': 'root',
      'X-Auth-Admin': 'true',
      'X-Auth-Roles': 'admin',
      X_Auth_Admin: 'true',
      X_Auth_Subject: 'root',
    };
    for (const [name, answer] of Object.entries(await throughEach('/orders/1', spoofed))) {
      expect(answer.status, name).toBe(200);
      const seen = answer.upstream!.headers;
      expect(seen['x-auth-subject'], name).toBe('reader');
      expect(seen['x-auth-admin'], name).toBe('false');
      expect(seen['x-auth-roles'] ?? '', name).toBe('');
      expect(seen.x_auth_admin, name).toBeUndefined();
      expect(seen.x_auth_subject, name).toBeUndefined();
    }
  });

  it('SECURITY.md #45: a forwarded URI or method sent by the client is not what Warden decides on', async () => {
    const spoofed = {
      'X-Original-URI': '/public/x',
      'X-Forwarded-Uri': '/public/x',
      'X-Original-Method': 'OPTIONS',
      'X-Forwarded-Method': 'OPTIONS',
    };
    for (const [name, answer] of Object.entries(await throughEach('/admin/users', spoofed))) {
      expect(answer.status, name).toBe(401);
      expect(answer.upstream, name).toBe(null);
    }
  });

  it('SECURITY.md #46: a path that walks out of a public area is decided by the rule of where it lands', async () => {
    for (const path of ['/public/../admin/users', '/public/%2e%2e/admin/users', '/public/..;/admin/users']) {
      for (const [name, answer] of Object.entries(await throughEach(path, { authorization: `Bearer ${reader}` }))) {
        // nginx may refuse some spellings itself (400); through no proxy does the request reach the service.
        expect([400, 403], `${name} ${path}`).toContain(answer.status);
        expect(answer.upstream, `${name} ${path}`).toBe(null);
      }
      for (const [name, answer] of Object.entries(await throughEach(path, { authorization: `Bearer ${admin}` }))) {
        expect([200, 400], `${name} ${path}`).toContain(answer.status);
      }
    }
  });

  it.runIf(DIALECT === 'postgres')(
    'SECURITY.md #49: storage down is 503 through every proxy, never 200; back to 200 after',
    async () => {
      // A key this Warden has never seen: deciding on it needs the store.
      const fresh = (await t.warden.keys.create({ subject: 'late', scopes: [] }, { actor: 'test' })).key;
      relay!.cut();
      try {
        for (const [name, answer] of Object.entries(
          await throughEach('/orders/1', { authorization: `Bearer ${fresh}` }),
        )) {
          expect(answer.status, name).toBe(503);
          expect(answer.upstream, name).toBe(null);
        }
      } finally {
        relay!.restore();
      }
      for (const [name, answer] of Object.entries(
        await throughEach('/orders/1', { authorization: `Bearer ${fresh}` }),
      )) {
        expect(answer.status, name).toBe(200);
      }
    },
  );

  it('Traefik forwardAuth and Envoy ext_authz request shapes, from their documentation, decide the same', async () => {
    const port = (app.server.address() as AddressInfo).port;
    // Traefik: a GET to the address, the original request in X-Forwarded-*, the client's headers copied.
    const traefik = (uri: string, headers: Record<string, string>) =>
      send(port, '/v1/decide', {
        'X-Forwarded-Method': 'GET',
        'X-Forwarded-Proto': 'https',
        'X-Forwarded-Host': 'api.example.com',
        'X-Forwarded-Uri': uri,
        'X-Forwarded-For': '203.0.113.7',
        ...headers,
      });
    // Envoy: the original method at path_prefix + the original path, the allowed headers, Host kept.
    const envoy = (uri: string, headers: Record<string, string>) =>
      send(port, `/v1/decide${uri}`, { host: 'api.example.com', 'x-forwarded-proto': 'https', ...headers });
    for (const shape of [traefik, envoy]) {
      expect((await shape('/orders/1', { authorization: `Bearer ${reader}` })).status).toBe(200);
      expect((await shape('/orders/1', { authorization: `Bearer ${jwt}` })).status).toBe(200);
      expect((await shape('/orders/1', {})).status).toBe(401);
      expect((await shape('/public/x', {})).status).toBe(200);
      expect((await shape('/public/../admin/x', { authorization: `Bearer ${reader}` })).status).toBe(403);
      expect((await shape('/admin/x', { authorization: `Bearer ${admin}` })).status).toBe(200);
    }
  });
});

/** A request over TLS to `localhost` (SNI and Host), with a client certificate when `client` is given. */
function sendTls(
  port: number,
  path: string,
  options: { client?: GeneratedCertificate; ca: string; headers?: Record<string, string> },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const outgoing = httpsRequest(
      {
        host: '127.0.0.1',
        servername: 'localhost',
        port,
        path,
        headers: { host: `localhost:${port}`, ...options.headers },
        ca: options.ca,
        agent: false,
        ...(options.client ? { key: options.client.keyPem, cert: options.client.certificatePem } : {}),
      },
      (response: IncomingMessage) => collectAnswer(response, resolve),
    );
    outgoing.on('error', reject);
    outgoing.end();
  });
}

async function waitForTlsPort(port: number, ca: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    try {
      await sendTls(port, '/', { ca });
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw new Error(`nothing answered TLS on port ${port}`);
}

/** A deploy/ mTLS example pointed at this test's Warden, service, port and certificate files. */
function deployTlsConfig(file: string, wardenPort: number, upstreamPort: number, port: number, dir: string): string {
  return readFileSync(join(REPO_ROOT, 'deploy', file), 'utf8')
    .replaceAll('127.0.0.1:8080', `127.0.0.1:${wardenPort}`)
    .replaceAll('127.0.0.1:3000', `127.0.0.1:${upstreamPort}`)
    .replace('listen 443 ssl;', `listen 127.0.0.1:${port} ssl;`)
    .replace('https://localhost:443 {', `https://localhost:${port} {`)
    .replaceAll('/etc/nginx/tls/', `${dir}/`)
    .replaceAll('/etc/caddy/tls/', `${dir}/`);
}

function startNginxMtls(dir: string, wardenPort: number, upstreamPort: number, port: number): ChildProcess {
  writeNginxConfig(dir, deployTlsConfig('nginx-mtls.conf', wardenPort, upstreamPort, port, dir));
  execFileSync(NGINX!, ['-t', '-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: 'pipe' });
  return spawn(NGINX!, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: 'ignore' });
}

function startCaddyMtls(dir: string, wardenPort: number, upstreamPort: number, port: number): ChildProcess {
  const site = deployTlsConfig('Caddyfile-mtls', wardenPort, upstreamPort, port, dir);
  writeFileSync(join(dir, 'Caddyfile'), `{\n\tadmin off\n\tauto_https off\n}\n\n${site}`);
  const env = { ...process.env, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir, HOME: dir };
  execFileSync(CADDY!, ['validate', '--config', join(dir, 'Caddyfile'), '--adapter', 'caddyfile'], {
    stdio: 'pipe',
    env,
  });
  return spawn(CADDY!, ['run', '--config', join(dir, 'Caddyfile'), '--adapter', 'caddyfile'], {
    stdio: 'ignore',
    env,
  });
}

/**
 * The mTLS rows of the table: deploy/nginx-mtls.conf (`ssl_verify_client optional_no_ca`, `$ssl_client_escaped_cert`
 * in X-Client-Cert) and deploy/Caddyfile-mtls (`client_auth mode request`, RFC 9440 Client-Cert), each as written
 * (addresses, port and certificate paths replaced), with real TLS client certificates and Warden pinning their
 * public keys by Organization. Every row must give the same answer through each proxy.
 */
describe.skipIf(!NGINX || !CADDY)('the proxy conformance table, mTLS rows (nginx and Caddy terminating TLS)', () => {
  let t: TestWarden;
  let app: FastifyInstance;
  let upstream: Server;
  const proxies: { name: string; process: ChildProcess; port: number }[] = [];
  let server: GeneratedCertificate;
  let acme: GeneratedCertificate;

  beforeAll(async () => {
    t = await startTestWarden('sqlite', {
      config: {
        rules: [{ name: 'services', path: '/**', authenticators: ['mtls', 'api_key'] }],
        mtls: { proxy_headers: ['x-client-cert', 'client-cert'] },
      } as never,
    });
    app = buildApp(t.warden);
    await app.listen({ host: '127.0.0.1', port: 0 });
    const wardenPort = (app.server.address() as AddressInfo).port;
    upstream = createServer((incoming, response) => {
      response.setHeader('content-type', 'application/json');
      response.setHeader('x-test-upstream', 'yes');
      response.end(JSON.stringify({ url: incoming.url, headers: incoming.headers }));
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const upstreamPort = (upstream.address() as AddressInfo).port;

    server = await generateCertificate({
      organization: 'Proxy',
      commonName: 'localhost',
      notAfterDays: 30,
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1'],
    });
    acme = await generateCertificate({ organization: 'Acme Corp', commonName: 'orders-svc', notAfterDays: 30 });
    await t.warden.pins.pin({ subject: 'Acme Corp', publicKey: acme.publicKeyPem }, { actor: 'test' });

    for (const [name, start] of [
      ['nginx', startNginxMtls],
      ['caddy', startCaddyMtls],
    ] as const) {
      const dir = tempDir(`warden-${name}-mtls`);
      writeFileSync(join(dir, 'server.crt'), server.certificatePem);
      writeFileSync(join(dir, 'server.key'), server.keyPem);
      const port = await freePort();
      proxies.push({ name, process: start(dir, wardenPort, upstreamPort, port), port });
      await waitForTlsPort(port, server.certificatePem);
    }
  }, 60_000);

  afterAll(async () => {
    for (const proxy of proxies) proxy.process.kill('SIGTERM');
    upstream?.close();
    await app?.close();
    await t?.close();
  });

  /** The same TLS request through every proxy, one proxy at a time (so each failure code is that proxy's). */
  const throughEach = async (options: { client?: GeneratedCertificate; headers?: Record<string, string> }) => {
    const answers: [string, Answer, string | null][] = [];
    for (const proxy of proxies) {
      const answer = await sendTls(proxy.port, '/orders/1', { ca: server.certificatePem, ...options });
      answers.push([proxy.name, answer, await lastRecordedCode()]);
    }
    return answers;
  };

  /** The code of the newest mTLS failure Warden recorded (the proxies show the client only the status). */
  let seenFailures = 0;
  const lastRecordedCode = async (): Promise<string | null> => {
    await t.warden.flush();
    const events = (await t.warden.audit.list({ action: 'credential.verify_failed' })).filter(
      (event) => event.targetType === 'mtls',
    );
    if (events.length === seenFailures) return null;
    seenFailures = events.length;
    return events[0]!.reason ?? null;
  };

  it('a pinned client certificate reaches the service as its Organization, with Warden identity headers', async () => {
    for (const [name, answer] of await throughEach({ client: acme })) {
      expect(answer.status, name).toBe(200);
      expect(answer.upstream?.headers['x-auth-subject'], name).toBe('Acme Corp');
      expect(answer.upstream?.headers['x-auth-subject-type'], name).toBe('service');
      expect(answer.upstream?.headers['x-auth-credential'], name).toBe('mtls');
      // The certificate headers were for Warden, not for the service.
      expect(answer.upstream?.headers['x-client-cert'], name).toBeUndefined();
      expect(answer.upstream?.headers['client-cert'], name).toBeUndefined();
    }
  });

  it('SECURITY.md #43: a certificate for the same Organization with another key never reaches the service', async () => {
    const impostor = await generateCertificate({
      organization: 'Acme Corp',
      commonName: 'orders-svc',
      notAfterDays: 30,
    });
    for (const [name, answer, code] of await throughEach({ client: impostor })) {
      expect(answer.status, name).toBe(401);
      expect(answer.upstream, name).toBe(null);
      expect(code, name).toBe('certificate_key_mismatch');
    }
  });

  it('no client certificate: 401, and certificate headers the client sends itself are replaced by the proxy, not believed', async () => {
    const copies = {
      // A copy of Acme's certificate (public) in every header form, without its key.
      'X-Client-Cert': encodeURIComponent(acme.certificatePem),
      'Client-Cert': `:${acme.certificatePem.replace(/-----[A-Z ]+-----|\s/g, '')}:`,
    };
    for (const [name, answer, code] of await throughEach({})) {
      expect(answer.status, name).toBe(401);
      expect(answer.upstream, name).toBe(null);
      expect(code, name).toBe(null); // no certificate reached Warden: nothing failed, nothing was presented
    }
    for (const [name, answer] of await throughEach({ headers: copies })) {
      expect(answer.status, name).toBe(401);
      expect(answer.upstream, name).toBe(null);
    }
    // With a certificate of its own, the client's headers are replaced by the certificate it really presented.
    const other = await generateCertificate({ organization: 'Other', notAfterDays: 30 });
    for (const [name, answer, code] of await throughEach({ client: other, headers: copies })) {
      expect(answer.status, name).toBe(401);
      expect(code, name).toBe('certificate_not_registered');
    }
  });

  it('an API key still works beside mTLS on the same listener', async () => {
    const { key } = await t.warden.keys.create({ subject: 'reader' }, { actor: 'test' });
    for (const [name, answer] of await throughEach({ headers: { 'X-API-Key': key } })) {
      expect(answer.status, name).toBe(200);
      expect(answer.upstream?.headers['x-auth-subject'], name).toBe('reader');
    }
  });
});
