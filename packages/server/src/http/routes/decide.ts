import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { Warden } from '../../engine.js';
import { apiErrorBody } from '../../errors/bodies.js';
import { WardenError } from '../../errors/warden-error.js';
import { isPromise } from '../../util/maybe-promise.js';
import { writeDecision } from '../decision-answer.js';
import { decisionAttributes } from '../proxies/original-request.js';
import { pathOf, type TrustedProxies } from '../request-attributes.js';

const DECIDE_PREFIX = '/v1/decide';
const INTERNAL_ERROR_BODY = JSON.stringify(apiErrorBody(new WardenError('internal_error')));

/** True for the request targets of the decision endpoint: `/v1/decide`, `/v1/decide/...`, `/v1/decide?...`. */
export function isDecideTarget(url: string | undefined): boolean {
  if (url === undefined || !url.startsWith(DECIDE_PREFIX)) return false;
  const next = url.charCodeAt(DECIDE_PREFIX.length);
  return Number.isNaN(next) || next === 47 /* / */ || next === 63 /* ? */;
}

/**
 * The decision endpoint on a raw request: `ANY /v1/decide` and `ANY /v1/decide/*`, for reverse proxies (nginx
 * auth_request, Traefik/Caddy forward auth, Envoy ext_authz). The proxy adapter only translates; the engine
 * decides. Any request body is left unread (Node discards it).
 *
 * It is called straight from the HTTP server for every decide request (see app.ts: proxies call it for every
 * request they serve, so it skips the framework's routing and reply pipeline), and through the Fastify routes
 * below for `app.inject`: one implementation either way.
 */
export function handleDecideRequest(
  warden: Warden,
  trusted: TrustedProxies,
  request: IncomingMessage,
  response: ServerResponse,
): void {
  const ownPath = pathOf(request.url ?? '').slice(DECIDE_PREFIX.length) || '/';
  try {
    const decision = warden.decideNow(decisionAttributes(request, ownPath, trusted, warden.config.mtls.proxy_headers));
    // A verified credential in cache is answered in this same tick: no promise, no microtask.
    if (isPromise(decision)) {
      decision
        .then((settled) => writeDecision(response, settled))
        .catch((error: unknown) => failed(warden, response, error));
    } else {
      writeDecision(response, decision);
    }
  } catch (error) {
    failed(warden, response, error);
  }
}

/** decideNow turns faults into 503 decisions; reaching here is a bug. Fail closed, say nothing more. */
function failed(warden: Warden, response: ServerResponse, error: unknown): void {
  warden.logger.error({ err: error }, 'decision endpoint failed');
  if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
  response.end(INTERNAL_ERROR_BODY);
}

export function registerDecideRoutes(app: FastifyInstance, warden: Warden, trusted: TrustedProxies): void {
  app.register(async (scope) => {
    // Bodies sent to the decision endpoint (Envoy may forward one) are ignored, never parsed.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, payload, done) => {
      payload.resume();
      done(null, undefined);
    });
    const handler = async (request: { raw: IncomingMessage }, reply: { hijack(): void; raw: ServerResponse }) => {
      reply.hijack();
      handleDecideRequest(warden, trusted, request.raw, reply.raw);
    };
    scope.all(DECIDE_PREFIX, handler);
    scope.all(`${DECIDE_PREFIX}/*`, handler);
  });
}
