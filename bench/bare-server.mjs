// The baseline: the cheapest useful node:http server, answering 200 to everything. Run as a child process
// (forked by run.mjs), it listens on 127.0.0.1 on a free port and reports that port to its parent over IPC.
// With BENCH_ANSWER (JSON: {status, headers, body}) it sends exactly that answer instead: Warden's own allow
// answer, same headers and bytes, so the difference to Warden is Warden's work, not the size of its answer.
import { createServer } from 'node:http';

const answer = process.env.BENCH_ANSWER ? JSON.parse(process.env.BENCH_ANSWER) : null;
const status = answer?.status ?? 200;
const body = Buffer.from(answer?.body ?? '{"ok":true}');
const headers = answer
  ? { ...answer.headers, 'content-length': body.length }
  : { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length };
const server = createServer((_request, response) => {
  response.writeHead(status, headers);
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
