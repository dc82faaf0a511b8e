import type { Principal } from '@warden/sdk';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Decision } from '../../authz/decide.js';
import type { Warden } from '../../engine.js';
import { denyBody, wwwAuthenticate } from '../deny-response.js';
import { identityHeaders } from '../identity-headers.js';
import { decisionAttributes, pathOf, type TrustedProxies } from '../request-attributes.js';

const DECIDE_PREFIX = '/v1/decide';

/** Principals are frozen and shared by the key cache, so their rendered answer can be shared too. */
const renderedAllows = new WeakMap<Principal, { headers: Record<string, string>; body: string }>();

function renderAllow(principal: Principal) {
  let rendered = renderedAllows.get(principal);
  if (!rendered) {
    rendered = { headers: identityHeaders(principal), body: JSON.stringify(principal) };
    renderedAllows.set(principal, rendered);
  }
  return rendered;
}

export function sendDecision(reply: FastifyReply, decision: Decision): FastifyReply {
  reply.header('cache-control', 'no-store').type('application/json; charset=utf-8');
  if (decision.allow) {
    const { headers, body } = renderAllow(decision.principal);
    return reply.code(200).headers(headers).send(body);
  }
  if (decision.status === 401 || decision.status === 403) {
    reply.header('www-authenticate', wwwAuthenticate(decision.code, decision.message));
  }
  if (decision.status === 503) reply.header('retry-after', '1');
  return reply.code(decision.status).send(denyBody(decision.code, decision.message));
}

/**
 * `ANY /v1/decide` and `ANY /v1/decide/*`: the decision endpoint for reverse proxies (nginx auth_request,
 * Traefik/Caddy forward auth, Envoy ext_authz). The proxy adapter only translates; the engine decides.
 */
export function registerDecideRoutes(app: FastifyInstance, warden: Warden, trusted: TrustedProxies): void {
  app.register(async (scope) => {
    // Bodies sent to the decision endpoint (Envoy may forward one) are ignored, never parsed.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, payload, done) => {
      payload.resume();
      done(null, undefined);
    });
    const handler = async (request: FastifyRequest, reply: FastifyReply) => {
      const ownPath = pathOf(request.url).slice(DECIDE_PREFIX.length) || '/';
      const attributes = decisionAttributes(request.raw, ownPath, trusted);
      return sendDecision(reply, await warden.decide(attributes));
    };
    scope.all(DECIDE_PREFIX, handler);
    scope.all(`${DECIDE_PREFIX}/*`, handler);
  });
}
