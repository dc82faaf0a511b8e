import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from '@warden/sdk';
import type { Requirements } from '../authz/requirements.js';
import type { Warden } from '../engine.js';
import { denyBody, wwwAuthenticate } from '../http/deny-response.js';
import { stripIdentityHeaders } from '../http/identity-headers.js';
import { headersWithRepeatedCredentials, pathOf, peerAddress } from '../http/request-attributes.js';

export interface WardenExpressOptions {
  requirements?: Requirements;
}

type ExpressLikeRequest = IncomingMessage & { principal?: Principal; originalUrl?: string };

/**
 * Express (or Connect, or plain node:http) middleware protecting routes in-process:
 *
 *   app.use('/orders', wardenExpress(warden, { requirements: { scopes: ['orders.read'] } }))
 *
 * On allow `req.principal` holds the caller; on deny it answers 401/403/503 like the decision endpoint.
 */
export function wardenExpress(warden: Warden, options: WardenExpressOptions = {}) {
  return (request: ExpressLikeRequest, response: ServerResponse, next: (error?: unknown) => void): void => {
    stripIdentityHeaders(request.headers);
    warden
      .decide(
        {
          method: request.method ?? 'GET',
          host: (request.headers.host ?? '').toLowerCase(),
          path: pathOf(request.originalUrl ?? request.url ?? '/'),
          headers: headersWithRepeatedCredentials(request),
          peer: peerAddress(request),
        },
        options.requirements,
      )
      .then((decision) => {
        if (decision.allow) {
          request.principal = decision.principal;
          next();
          return;
        }
        const headers: Record<string, string> = {
          'content-type': 'application/json; charset=utf-8',
          'cache-control': 'no-store',
        };
        if (decision.status === 401 || decision.status === 403) {
          headers['www-authenticate'] = wwwAuthenticate(decision.code, decision.message);
        }
        response.writeHead(decision.status, headers).end(denyBody(decision.code, decision.message));
      }, next);
  };
}
