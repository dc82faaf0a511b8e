// A second reference: Fastify (the framework Warden's HTTP layer uses) answering a fixed small JSON body
// with no logic. bare -> fastify is the framework's cost; fastify -> warden is Warden's own. Same protocol as
// bare-server.mjs: forked, listens on a free 127.0.0.1 port, reports it over IPC (or prints it).
import { createRequire } from 'node:module';
import { join } from 'node:path';

// Fastify is a dependency of packages/server, not of the workspace root: resolve it from there.
const require = createRequire(
  join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '../packages/server/package.json'),
);
const Fastify = require('fastify');

const app = Fastify({ logger: false });
const body = '{"ok":true}';
app.all('/v1/decide', (_request, reply) => {
  reply.header('cache-control', 'no-store').type('application/json; charset=utf-8').send(body);
});
const address = await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
const port = Number(new URL(address).port);
if (process.send) process.send({ port });
else process.stdout.write(`listening on http://127.0.0.1:${port}\n`);
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
