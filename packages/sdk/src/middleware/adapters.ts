import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from '../principal.js';
import { createRequestAuthenticator, type Outcome, type ProtectOptions } from './authenticate.js';
import type { Requirements } from './requirements.js';

// The adapters type only what they touch, so the SDK depends on no framework at run time or in its declarations.

/** A request of node:http (and of Express and Connect, which extend it), with the principal once allowed. */
export type NodeRequest = IncomingMessage & { principal?: Principal };

function send(response: ServerResponse, denial: Extract<Outcome, { ok: false }>): void {
  response.writeHead(denial.status, denial.headers).end(denial.body);
}

/**
 * node:http: `const principal = await protect(req, res)` answers the denial itself and returns null, or returns
 * the caller (also set as `req.principal`).
 */
export function protectNode(options: ProtectOptions) {
  const authenticate = createRequestAuthenticator(options);
  return async (request: NodeRequest, response: ServerResponse, route?: Requirements): Promise<Principal | null> => {
    const outcome = await authenticate(request.headers, route);
    if (!outcome.ok) {
      send(response, outcome);
      return null;
    }
    request.principal = outcome.principal;
    return outcome.principal;
  };
}

/** Express or Connect middleware: `app.use('/orders', protectExpress({ verifiers, requirements }))`; sets `req.principal`. */
export function protectExpress(options: ProtectOptions) {
  const authenticate = createRequestAuthenticator(options);
  return (request: NodeRequest, response: ServerResponse, next: (error?: unknown) => void): void => {
    authenticate(request.headers).then((outcome) => {
      if (!outcome.ok) return send(response, outcome);
      request.principal = outcome.principal;
      next();
    }, next);
  };
}

interface FastifyLikeRequest {
  headers: Record<string, string | string[] | undefined>;
  principal?: Principal;
  routeOptions?: { config?: unknown };
}
interface FastifyLikeReply {
  code(status: number): FastifyLikeReply;
  headers(values: Record<string, string>): FastifyLikeReply;
  send(body: string): unknown;
}
interface FastifyLikeInstance {
  addHook(name: 'onRequest', hook: (request: FastifyLikeRequest, reply: FastifyLikeReply) => Promise<unknown>): unknown;
}

/**
 * A Fastify plugin: `app.register(protectFastify({ verifiers, requirements }))`. A route adds requirements with
 * `config: { warden: {...} }` or opts out with `config: { warden: false }`; the caller is `request.principal`.
 */
export function protectFastify(options: ProtectOptions) {
  const authenticate = createRequestAuthenticator(options);
  const plugin = (app: FastifyLikeInstance, _options: unknown, done: () => void) => {
    app.addHook('onRequest', async (request, reply) => {
      const route = (request.routeOptions?.config as { warden?: Requirements | false } | undefined)?.warden;
      if (route === false) return;
      const outcome = await authenticate(request.headers, route);
      if (!outcome.ok) return reply.code(outcome.status).headers(outcome.headers).send(outcome.body);
      request.principal = outcome.principal;
      return undefined;
    });
    done();
  };
  // Fastify's documented switch for a plugin whose hooks apply to the context it is registered in.
  (plugin as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
  return plugin;
}

interface HonoLikeContext {
  req: { header(name: string): string | undefined };
  set(key: 'principal', value: Principal): void;
}

/**
 * Hono middleware: `app.use('/orders/*', protectHono({ verifiers, requirements }))`; the caller is
 * `c.get('principal')`. A denial is answered with a standard `Response`.
 */
export function protectHono(options: ProtectOptions) {
  const authenticate = createRequestAuthenticator(options);
  return async (context: HonoLikeContext, next: () => Promise<void>): Promise<Response | undefined> => {
    const outcome = await authenticate({
      authorization: context.req.header('authorization'),
      'x-api-key': context.req.header('x-api-key'),
    });
    if (!outcome.ok) return new Response(outcome.body, { status: outcome.status, headers: outcome.headers });
    context.set('principal', outcome.principal);
    await next();
    return undefined;
  };
}
