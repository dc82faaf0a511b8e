import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { ConfigError } from '../config/errors.js';
import type { WardenConfig } from '../config/schema.js';

function readPem(key: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new ConfigError(
      `server.tls.${key}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
}

/**
 * The server `warden serve` listens with: plain HTTP, or HTTPS when `server.tls` is set. With `request_cert` the
 * handshake asks for a client certificate but lets a client without one (or with one no CA vouches for) in:
 * the mTLS authenticator judges certificates, with codes a caller can read, and a connection refused in the
 * handshake would say nothing (and would shut out health checks and the other credentials).
 */
export function createListener(tls: WardenConfig['server']['tls'], handler: RequestListener): Server {
  if (tls === undefined) return createHttpServer(handler);
  return createHttpsServer(
    {
      cert: readPem('cert_file', tls.cert_file),
      key: readPem('key_file', tls.key_file),
      ...(tls.client_ca_file !== undefined ? { ca: readPem('client_ca_file', tls.client_ca_file) } : {}),
      requestCert: tls.request_cert,
      rejectUnauthorized: false,
    },
    handler,
  ) as unknown as Server;
}
