// Profiles `warden serve` under allow traffic only (valid keys cycling), for bench/README's cost breakdown:
//   node bench/profile-allow.mjs [seconds] [--same-answer]
// writes a .cpuprofile into /tmp/warden-profile and prints the server CPU per request and the top self-time
// functions. With --same-answer it profiles the bare server sending Warden's allow answer instead, under the
// same load: the difference between the two profiles is Warden's own work.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWarden } from 'warden';
import { CLI, ROOT, storeConfig, wardenEnv } from './harness.mjs';
import { keyedRequestSets, runLoad } from './load.mjs';
import { createRealKeys } from './store.mjs';

const PROFILE_DIR = join(tmpdir(), 'warden-profile');
const seconds = Number(process.argv[2] ?? 8);
const sameAnswer = process.argv.includes('--same-answer');

rmSync(PROFILE_DIR, { recursive: true, force: true });
mkdirSync(PROFILE_DIR, { recursive: true });
const dir = mkdtempSync(join(tmpdir(), 'warden-profile-data-'));
const config = storeConfig(dir);
const migrated = await createWarden({ config });
await migrated.close();
const keys = await createRealKeys(createWarden, config, 500);
// The change poller evicts keys changed in its last 5 s (its look-back): measure keys older than that, as in
// a deployment, not a storm of re-reads of keys created a moment ago.
const settledAt = Date.now() + 6_000;
const port = 18000 + Math.floor(Math.random() * 1000);
const child = spawn(
  'taskset',
  [
    '-c',
    '1',
    process.execPath,
    '--cpu-prof',
    `--cpu-prof-dir=${PROFILE_DIR}`,
    CLI,
    'serve',
    '--data-dir',
    dir,
    '--port',
    String(port),
  ],
  {
    cwd: dir,
    env: wardenEnv(),
    stdio: ['ignore', 'ignore', 'inherit'],
  },
);
for (;;) {
  try {
    if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break;
  } catch {}
  await new Promise((r) => setTimeout(r, 100));
}
let target = child;
let url = `http://127.0.0.1:${port}/v1/decide`;
if (sameAnswer) {
  // Warden's real allow answer, then the bare server sending it, profiled instead of Warden.
  const probe = await fetch(url, { headers: { authorization: `Bearer ${keys[0]}` } });
  const body = await probe.text();
  const headers = {};
  for (const [name, value] of probe.headers) {
    if (!['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding'].includes(name))
      headers[name] = value;
  }
  target = spawn(
    'taskset',
    ['-c', '1', process.execPath, '--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, join(ROOT, 'bench/bare-server.mjs')],
    {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      env: { ...process.env, BENCH_ANSWER: JSON.stringify({ status: 200, headers, body }) },
    },
  );
  const { port: barePort } = await new Promise((resolve) => target.once('message', resolve));
  url = `http://127.0.0.1:${barePort}/v1/decide`;
}
const cpuMicros = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 1e4;
};
const requestSets = keyedRequestSets(keys, 64, '/v1/decide');
await new Promise((resolve) => setTimeout(resolve, Math.max(0, settledAt - Date.now())));
await runLoad({ url, seconds: 2, connections: 64, requestSets });
const before = cpuMicros(target.pid);
const result = await runLoad({ url, seconds, connections: 64, requestSets });
const perRequest = (cpuMicros(target.pid) - before) / result.ok;
process.stdout.write(
  `${sameAnswer ? 'bare server, same answer' : 'warden serve'}: ${Math.round(result.rps)} req/s, ${perRequest.toFixed(1)} µs server CPU/request, ${result.unexpected} unexpected\n`,
);
for (const process_ of new Set([child, target])) {
  const exited = new Promise((resolve) => process_.once('exit', resolve));
  process_.kill('SIGTERM');
  await exited;
}
rmSync(dir, { recursive: true, force: true });

const profiles = readdirSync(PROFILE_DIR).filter((name) => name.endsWith('.cpuprofile'));
// Node names profiles CPU.<date>.<time>.<pid>...; the target's is the one with its pid.
const file = profiles.find((name) => name.includes(`.${target.pid}.`)) ?? profiles[0];
const profile = JSON.parse(readFileSync(join(PROFILE_DIR, file), 'utf8'));
const selfTime = new Map();
const interval = (profile.endTime - profile.startTime) / profile.samples.length;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
for (const id of profile.samples) {
  const { callFrame } = byId.get(id);
  const where = `${callFrame.functionName || '(anonymous)'} ${callFrame.url.split('/').slice(-2).join('/')}:${callFrame.lineNumber + 1}`;
  selfTime.set(where, (selfTime.get(where) ?? 0) + interval);
}
const total = [...selfTime.values()].reduce((a, b) => a + b, 0);
for (const [where, us] of [...selfTime].sort((a, b) => b[1] - a[1]).slice(0, 40)) {
  process.stdout.write(`${((100 * us) / total).toFixed(1).padStart(5)}%  ${where}\n`);
}
