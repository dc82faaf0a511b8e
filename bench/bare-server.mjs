// The baseline: the cheapest useful node:http server, answering 200 to everything. Run as a child process
// (`fork`), it listens on 127.0.0.1 on a free port and reports that port to its parent over IPC.
import { createServer } from 'node:http';

const body = Buffer.from('{"ok":true}');
const server = createServer((_request, response) => {
  response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
  response.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const { port } = server.address();
  // Forked by run.mjs: report the port over IPC; run by hand: print it.
  if (process.send) process.send({ port });
  else process.stdout.write(`listening on http://127.0.0.1:${port}\n`);
});
// Dies with its parent (the IPC channel closes) so a crashed harness leaves nothing behind.
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
