import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from '@warden/sdk';
import type { Requirements } from '../authz/requirements.js';
import type { Warden } from '../engine.js';
import { writeDecision } from '../http/decision-answer.js';
import { stripIdentityHeaders } from '../http/identity-headers.js';
import { nodeRequestAttributes } from '../http/request-attributes.js';

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
      .decide(nodeRequestAttributes(request, request.originalUrl ?? request.url), options.requirements)
      .then((decision) => {
        if (decision.allow) {
          request.principal = decision.principal;
          next();
          return;
        }
        writeDecision(response, decision);
      }, next);
  };
}
