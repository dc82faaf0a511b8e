import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RequestAttributes } from '../src/authn/types.js';
import { decisionAttributes } from '../src/http/proxies/original-request.js';
import { nodeRequestAttributes, TrustedProxies } from '../src/http/request-attributes.js';
import { tempDir } from './helpers/databases.js';

/** A self-signed certificate and key made with openssl (Debian's), PEM. */
function selfSigned(dir: string, name: string): { key: string; cert: string } {
  const keyFile = join(dir, `${name}.key`);
  const certFile = join(dir, `${name}.crt`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '1',
      '-subj',
      `/CN=${name}/O=warden-test`,
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: 'pipe' },
  );
  return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8') };
}

/** Serves one request with `handler`'s answer on a fresh server; resolves with what the handler computed. */
async function attributesOf(
  listen: (handler: (request: IncomingMessage) => string) => { server: import('node:net').Server },
  send: (port: number) => Promise<string>,
): Promise<RequestAttributes> {
  const { server } = listen((request) => JSON.stringify(nodeRequestAttributes(request)));
  await new Promise<void>((resolvePromise) => server.listen(0, '127.0.0.1', resolvePromise));
  try {
    return JSON.parse(await send((server.address() as AddressInfo).port)) as RequestAttributes;
  } finally {
    server.close();
  }
}

describe('nodeRequestAttributes: one translation of a Node request for every in-process entry point', () => {
  let server: { key: string; cert: string };
  let client: { key: string; cert: string };
  beforeAll(() => {
    const dir = tempDir('warden-tls');
    server = selfSigned(dir, 'localhost');
    client = selfSigned(dir, 'validator-1');
  });

  it('a TLS client certificate is carried as PEM; the request keeps its own method, host and path', async () => {
    const attributes = await attributesOf(
      (handler) => ({
        server: createHttpsServer({ ...server, requestCert: true, rejectUnauthorized: false }, (request, response) =>
          response.end(handler(request)),
        ),
      }),
      (port) =>
        new Promise((resolvePromise, reject) => {
          const request = httpsRequest(
            {
              host: '127.0.0.1',
              port,
              method: 'POST',
              path: '/orders/7?expand=1',
              headers: { host: 'API.example.com', 'x-original-uri': '/admin' },
              key: client.key,
              cert: client.cert,
              rejectUnauthorized: false,
            },
            (response) => {
              let body = '';
              response.on('data', (chunk) => {
                body += chunk;
              });
              response.on('end', () => resolvePromise(body));
            },
          );
          request.on('error', reject);
          request.end();
        }),
    );
    expect(attributes).toMatchObject({ method: 'POST', host: 'api.example.com', path: '/orders/7', peer: '127.0.0.1' });
    expect(attributes.clientCertificate?.replace(/\s+/g, '')).toBe(client.cert.replace(/\s+/g, ''));
  });

  it('plain HTTP has no client certificate', async () => {
    const attributes = await attributesOf(
      (handler) => ({ server: createHttpServer((request, response) => response.end(handler(request))) }),
      async (port) => (await fetch(`http://127.0.0.1:${port}/x`)).text(),
    );
    expect(attributes.clientCertificate).toBeUndefined();
    expect(attributes.path).toBe('/x');
  });
});

describe('decisionAttributes: proxy dialects for trusted peers only', () => {
  const requestFrom = (peer: string, headers: Record<string, string>) =>
    ({
      method: 'GET',
      url: '/v1/decide/own',
      headers,
      rawHeaders: Object.entries(headers).flat(),
      socket: { remoteAddress: peer },
    }) as unknown as IncomingMessage;
  const trusted = new TrustedProxies(['127.0.0.1/8']);
  const headers = {
    host: 'warden.internal',
    'x-original-uri': '/nginx/path?q=1',
    'x-forwarded-uri': '/traefik/path',
    'x-forwarded-method': 'delete',
    'x-forwarded-host': 'Orders.Example.com',
  };

  it('each dialect fills what the others left out, the request itself the rest', () => {
    const { 'x-forwarded-uri': _uri, ...nginxPathForwardMethod } = headers;
    expect(decisionAttributes(requestFrom('127.0.0.1', nginxPathForwardMethod), '/own', trusted)).toMatchObject({
      method: 'DELETE',
      host: 'orders.example.com',
      path: '/nginx/path',
    });
    const agreeing = { ...headers, 'x-forwarded-uri': '/nginx/path?q=1' };
    expect(decisionAttributes(requestFrom('127.0.0.1', agreeing), '/own', trusted).path).toBe('/nginx/path');
  });

  it('SECURITY.md #45: two dialects that disagree (one written by the client) leave a path no rule matches', () => {
    // nginx passes a client's X-Forwarded-Uri on; Caddy a client's X-Original-URI.
    expect(decisionAttributes(requestFrom('127.0.0.1', headers), '/own', trusted).path).toBe('');
    const methods = { host: 'h', 'x-original-method': 'GET', 'x-forwarded-method': 'DELETE', 'x-original-uri': '/a' };
    expect(decisionAttributes(requestFrom('127.0.0.1', methods), '/own', trusted).path).toBe('');
  });

  it('SECURITY.md #45: an untrusted peer is decided on the request it sent, whatever its headers say', () => {
    expect(decisionAttributes(requestFrom('203.0.113.5', headers), '/own', trusted)).toMatchObject({
      method: 'GET',
      host: 'warden.internal',
      path: '/own',
    });
  });
});
