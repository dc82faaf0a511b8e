import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import type { Warden } from '../engine.js';
import { apiErrorBody } from '../errors/bodies.js';
import { WardenError } from '../errors/warden-error.js';
import { METADATA_MAX_DEPTH } from '../keys/metadata.js';
import { jsonTextNestsDeeperThan } from '../util/json-bounds.js';
import { VERSION } from '../version.js';
import { answerClientError, toWardenError } from './framework-errors.js';
import { OpenApiRegistry } from './openapi.js';
import './principal-augment.js';
import { TrustedProxies } from './request-attributes.js';
import { registerAdminAuditRoutes } from './routes/admin-audit.js';
import { authenticateAdmin, isAdminTarget, requireAdmin } from './routes/admin-guard.js';
import { handleDecideRequest, isDecideTarget, registerDecideRoutes } from './routes/decide.js';
import { registerHealthRoutes } from './routes/health.js';
import { createListener } from './tls-listener.js';

/**
 * Admin request bodies nest at most this deep: checked on the raw text before the JSON parser or any schema
 * runs, so a body nested thousands of levels deep is a 400 (SECURITY.md #51). Metadata, the deepest field, sits
 * one level down and has its own, tighter bound.
 */
const ADMIN_BODY_MAX_DEPTH = METADATA_MAX_DEPTH + 8;

/** Path segments (a key id, later a client id) up to this long reach the route; its handler judges them. */
const MAX_PATH_SEGMENT = 1024;

/** Answers with any error as the registry renders it: its status and `{error, message}`. */
function sendError(reply: FastifyReply, error: unknown): FastifyReply {
  const rendered = toWardenError(error);
  return reply.code(rendered.status).send(apiErrorBody(rendered));
}

/**
 * Runs `answer` for a request that matched no admin route only after the caller proved to be an admin: an
 * anonymous probe of /v1/admin/... gets 401 whatever the path, never a hint of which routes exist.
 */
function adminFirst(warden: Warden, answer: (request: FastifyRequest, reply: FastifyReply) => FastifyReply) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (isAdminTarget(request.url) && !(await authenticateAdmin(warden, request, reply))) return reply;
    return answer(request, reply);
  };
}

/** The HTTP service `warden serve` listens with; also usable in tests with `app.inject`. */
export function buildApp(warden: Warden): FastifyInstance {
  const trusted = new TrustedProxies(warden.config.server.trusted_proxies);
  const app: FastifyInstance = Fastify({
    // Decide requests are most of the traffic and need no routing, hooks or body parsing: the server hands them
    // straight to the decision handler, and everything else to Fastify. Measured in bench/: the framework's
    // reply pipeline cost more than the decision itself.
    serverFactory: (fastifyHandler) =>
      createListener(warden.config.server.tls, (request, response) => {
        if (isDecideTarget(request.url)) handleDecideRequest(warden, trusted, request, response);
        else fastifyHandler(request, response);
      }),
    loggerInstance: warden.logger as FastifyBaseLogger,
    // Per-request logs would cost more than a decision; proxies keep access logs. Errors are logged below.
    logController: new LogController({ disableRequestLogging: true }),
    // Fastify builds a pino child logger (bindings serialized, redaction applied) for every request. With
    // request logging off it would only serve the error handler, yet it cost ~2-3% of a decision's CPU
    // (bench/README.md). Requests share the root logger; the error handler binds the request id itself.
    childLoggerFactory: (logger) => logger,
    bodyLimit: warden.config.server.body_limit,
    return503OnClosing: true,
    routerOptions: { maxParamLength: MAX_PATH_SEGMENT },
    // Errors Fastify raises before routing (a malformed path, an over-long segment) and Node's HTTP parser errors
    // answer in the registry's shape like every other error, without echoing the request (SECURITY.md #54).
    frameworkErrors: (error, request, reply) => {
      adminFirst(warden, (_request, answer) => sendError(answer, error))(request, reply).catch((fault: unknown) =>
        sendError(reply, fault),
      );
    },
    clientErrorHandler: answerClientError,
  });
  const api = new OpenApiRegistry({ title: 'Warden', version: VERSION });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const rendered = toWardenError(error);
    if (rendered.status >= 500) {
      request.log.error({ err: error, reqId: request.id, url: request.routeOptions.url }, 'request failed');
    }
    return sendError(reply, rendered); // already in registry form: not converted again
  });
  app.setNotFoundHandler(
    adminFirst(warden, (_request, reply) => sendError(reply, new WardenError('not_found', 'No such route.'))),
  );

  registerHealthRoutes(app, warden);
  registerDecideRoutes(app, warden, trusted);
  app.register(async (scope) => {
    // The admin API speaks JSON only; anything else is 415, not a confusing validation error.
    scope.removeContentTypeParser('text/plain');
    const parseJson = scope.getDefaultJsonParser('error', 'error');
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
      const text = String(body);
      if (jsonTextNestsDeeperThan(text, ADMIN_BODY_MAX_DEPTH)) {
        done(new WardenError('invalid_request', `The JSON body nests deeper than ${ADMIN_BODY_MAX_DEPTH} levels.`));
        return;
      }
      parseJson(request, text, done);
    });
    requireAdmin(scope, warden);
    registerAdminAuditRoutes(scope, warden, api);
    // Each capability's admin routes are a plugin of their own, inside the guarded scope.
    for (const capability of warden.capabilities) {
      const { adminRoutes } = capability;
      if (adminRoutes) scope.register(async (routes) => adminRoutes(routes, api));
    }
  });
  for (const capability of warden.capabilities) {
    const { publicRoutes } = capability;
    if (publicRoutes) app.register(async (routes) => publicRoutes(routes, api));
  }
  app.get('/v1/openapi.json', async () => api.toJSON());
  return app;
}
