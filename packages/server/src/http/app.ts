import { createServer } from 'node:http';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, LogController } from 'fastify';
import type { Warden } from '../engine.js';
import { KeyOperationError } from '../keys/errors.js';
import { isStorageFault } from '../store/faults.js';
import { HttpError, statusFor } from './errors.js';
import { OpenApiRegistry } from './openapi.js';
import './principal-augment.js';
import { TrustedProxies } from './request-attributes.js';
import { registerAdminAuditRoutes } from './routes/admin-audit.js';
import { requireAdmin } from './routes/admin-guard.js';
import { registerAdminKeyRoutes } from './routes/admin-keys.js';
import { handleDecideRequest, isDecideTarget, registerDecideRoutes } from './routes/decide.js';
import { registerHealthRoutes } from './routes/health.js';

const VERSION = '0.1.0';

/** Maps any error to `{error, message}` with a stable code. Never a stack trace, never a secret. */
function renderError(error: FastifyError | Error): { status: number; code: string; message: string } {
  if (error instanceof HttpError) return { status: statusFor(error.code), code: error.code, message: error.message };
  if (error instanceof KeyOperationError)
    return { status: statusFor(error.code), code: error.code, message: error.message };
  if (isStorageFault(error)) return { status: 503, code: 'unavailable', message: 'Storage is not reachable.' };
  const fastifyError = error as FastifyError;
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, code: 'payload_too_large', message: 'The request body is too large.' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, code: 'unsupported_media_type', message: 'Send a JSON body (application/json).' };
  }
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    // Fastify's own client errors (bad JSON, empty body...): their messages hold no request data worth hiding.
    return { status: 400, code: 'invalid_request', message: fastifyError.message.slice(0, 300) };
  }
  return { status: 500, code: 'internal_error', message: 'Internal error.' };
}

/** The HTTP service `warden serve` listens with; also usable in tests with `app.inject`. */
export function buildApp(warden: Warden): FastifyInstance {
  const trusted = new TrustedProxies(warden.config.server.trusted_proxies);
  const app: FastifyInstance = Fastify({
    // Decide requests are most of the traffic and need no routing, hooks or body parsing: the server hands them
    // straight to the decision handler, and everything else to Fastify. Measured in bench/: the framework's
    // reply pipeline cost more than the decision itself.
    serverFactory: (fastifyHandler) =>
      createServer((request, response) => {
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
  });
  const api = new OpenApiRegistry({ title: 'Warden', version: VERSION });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const rendered = renderError(error);
    if (rendered.status >= 500) {
      request.log.error({ err: error, reqId: request.id, url: request.routeOptions.url }, 'request failed');
    }
    return reply.code(rendered.status).send({ error: rendered.code, message: rendered.message });
  });
  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ error: 'not_found', message: 'No such route.' }));

  registerHealthRoutes(app, warden);
  registerDecideRoutes(app, warden, trusted);
  app.register(async (scope) => {
    // The admin API speaks JSON only; anything else is 415, not a confusing validation error.
    scope.removeContentTypeParser('text/plain');
    requireAdmin(scope, warden);
    registerAdminKeyRoutes(scope, warden, api);
    registerAdminAuditRoutes(scope, warden, api);
  });
  app.get('/v1/openapi.json', async () => api.toJSON());
  return app;
}
