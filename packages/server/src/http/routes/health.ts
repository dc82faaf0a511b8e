import type { FastifyInstance } from 'fastify';
import type { Warden } from '../../engine.js';
import { apiErrorBody } from '../../errors/bodies.js';
import { WardenError } from '../../errors/warden-error.js';

/** `/healthz` (process alive), `/readyz` (storage reachable), `/metrics` (Prometheus). */
export function registerHealthRoutes(app: FastifyInstance, warden: Warden): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    try {
      await warden.ready();
      return { status: 'ready' };
    } catch {
      const unavailable = new WardenError('unavailable', 'Storage is not reachable.');
      return reply.code(unavailable.status).send(apiErrorBody(unavailable));
    }
  });
  app.get('/metrics', async (_request, reply) => {
    reply.type(warden.metrics.registry.contentType);
    return warden.metrics.registry.metrics();
  });
}
