import type { FastifyInstance } from 'fastify';
import type { Warden } from '../../engine.js';

/** `/healthz` (process alive), `/readyz` (storage reachable), `/metrics` (Prometheus). */
export function registerHealthRoutes(app: FastifyInstance, warden: Warden): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    try {
      await warden.ready();
      return { status: 'ready' };
    } catch {
      return reply.code(503).send({ error: 'unavailable', message: 'Storage is not reachable.' });
    }
  });
  app.get('/metrics', async (_request, reply) => {
    reply.type(warden.metrics.registry.contentType);
    return warden.metrics.registry.metrics();
  });
}
