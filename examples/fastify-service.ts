import Fastify from 'fastify';
import { createWarden, type WardenConfigInput, wardenFastify } from 'warden';

export async function buildOrdersService(config: WardenConfigInput = {}) {
  const warden = await createWarden({ config });
  const app = Fastify();
  app.addHook('onClose', () => warden.close());

  // Every route needs a valid credential with the orders.read scope, unless it opts out.
  await app.register(wardenFastify(warden), { requirements: { scopes: ['orders.read'] } });

  app.get('/orders', async (request) => ({ caller: request.principal?.subject, orders: [] }));
  app.post('/orders', { config: { warden: { scopes: ['orders.write'] } } }, async () => ({ created: true }));
  app.get('/health', { config: { warden: false } }, async () => ({ ok: true }));
  return { app, warden };
}
