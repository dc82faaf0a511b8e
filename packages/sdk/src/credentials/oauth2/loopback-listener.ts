import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CredentialError } from '../errors.js';

/** What the browser sees after the redirect; no token or code is ever echoed into it. */
const DONE_PAGE =
  '<!doctype html><html><head><meta charset="utf-8"><title>Login complete</title></head><body><p>Login complete. You can close this window.</p></body></html>';
const FAILED_PAGE =
  '<!doctype html><html><head><meta charset="utf-8"><title>Login failed</title></head><body><p>Login failed. Return to the application for details.</p></body></html>';

export interface LoopbackListener {
  /** The redirect URI with the port actually bound (RFC 8252 §7.3 allows any port on loopback). */
  redirectUri: URL;
  /** Resolves with the callback's query parameters for the expected path. */
  callback: Promise<URLSearchParams>;
  close(): void;
}

/**
 * A one-shot HTTP listener on a loopback address for the authorization-code redirect of CLIs and headless
 * tools (RFC 8252). It answers only GET on the redirect path, resolves with the first callback, and closes.
 */
export async function listenOnLoopback(
  credential: string,
  redirectUri: URL,
  timeoutMs: number,
): Promise<LoopbackListener> {
  let resolveCallback!: (params: URLSearchParams) => void;
  let rejectCallback!: (error: Error) => void;
  const callback = new Promise<URLSearchParams>((resolve, reject) => {
    resolveCallback = resolve;
    rejectCallback = reject;
  });
  // The caller awaits this promise; keep a rejection before that from counting as unhandled.
  callback.catch(() => {});
  let settled = false;
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://loopback');
    if (request.method !== 'GET' || url.pathname !== redirectUri.pathname || settled) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    settled = true;
    const failed = url.searchParams.has('error') || !url.searchParams.has('code');
    response
      .writeHead(failed ? 400 : 200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
      .end(failed ? FAILED_PAGE : DONE_PAGE);
    resolveCallback(url.searchParams);
  });
  const hostname = redirectUri.hostname.replace(/^\[|\]$/g, '');
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) =>
      reject(
        new CredentialError(
          'config_invalid',
          `credential "${credential}": cannot listen on ${redirectUri.host} for the login redirect (${(error as NodeJS.ErrnoException).code ?? error.message})`,
          {
            credential,
            cause: error,
          },
        ),
      ),
    );
    server.listen(Number(redirectUri.port || 0), hostname === 'localhost' ? '127.0.0.1' : hostname, resolve);
  });
  const port = (server.address() as AddressInfo).port;
  const bound = new URL(redirectUri.href);
  bound.port = String(port);
  const timer = setTimeout(() => {
    if (settled) return;
    settled = true;
    rejectCallback(
      new CredentialError(
        'login_timeout',
        `credential "${credential}": no login redirect arrived within ${Math.round(timeoutMs / 1000)} s`,
        {
          credential,
        },
      ),
    );
  }, timeoutMs);
  timer.unref();
  const close = () => {
    clearTimeout(timer);
    if (!settled) {
      settled = true;
      rejectCallback(new CredentialError('closed', `credential "${credential}": login cancelled`, { credential }));
    }
    server.close();
    server.closeAllConnections();
  };
  return { redirectUri: bound, callback, close };
}
