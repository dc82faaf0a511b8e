// Profiles `warden serve` under client credentials grants only (one client, client_secret_basic, 64 connections,
// server pinned to CPU 1), as profile-allow.mjs does for decisions:
//   node bench/profile-grant.mjs [--prof]
// prints grants per second and server CPU per grant; with --prof, under --cpu-prof, the top self-time functions.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWarden } from 'warden';
import { CLI, storeConfig, wardenEnv } from './harness.mjs';
import { runLoad } from './load.mjs';

const PROFILE_DIR = join(tmpdir(), 'warden-grant-profile');
rmSync(PROFILE_DIR, { recursive: true, force: true });
mkdirSync(PROFILE_DIR);
const dir = mkdtempSync(join(tmpdir(), 'gp-'));
const config = storeConfig(dir);
const w = await createWarden({ config });
const client = await w.clients.create({ name: 'bench' });
await w.close();
const port = 19000 + Math.floor(Math.random() * 500);
const prof = process.argv.includes('--prof');
const child = spawn(
  'taskset',
  [
    '-c',
    '1',
    process.execPath,
    ...(prof ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : []),
    CLI,
    'serve',
    '--data-dir',
    dir,
    '--port',
    String(port),
  ],
  {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: wardenEnv(),
  },
);
for (;;) {
  try {
    if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break;
  } catch {}
  await new Promise((r) => setTimeout(r, 100));
}
const auth = `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`;
const req = {
  method: 'POST',
  path: '/oauth2/token',
  headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' },
  body: 'grant_type=client_credentials',
};
const requestSets = Array.from({ length: 64 }, () => [req]);
const url = `http://127.0.0.1:${port}/oauth2/token`;
await runLoad({ url, seconds: 2, connections: 64, requestSets });
const cpu = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) * 1e4;
};
const before = cpu(child.pid);
const r = await runLoad({ url, seconds: 6, connections: 64, requestSets });
console.log(
  `grants: ${Math.round(r.rps)}/s, ${((cpu(child.pid) - before) / r.ok).toFixed(1)} µs/grant, unexpected ${r.unexpected}`,
);
const exited = new Promise((res) => child.once('exit', res));
child.kill('SIGTERM');
await exited;
if (prof) {
  const file = readdirSync(PROFILE_DIR).find((n) => n.endsWith('.cpuprofile'));
  const profile = JSON.parse(readFileSync(join(PROFILE_DIR, file), 'utf8'));
  const self = new Map();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  for (const id of profile.samples) {
    const { callFrame: c } = byId.get(id);
    const k = `${c.functionName || '(anon)'} ${c.url.split('/').slice(-2).join('/')}:${c.lineNumber + 1}`;
    self.set(k, (self.get(k) ?? 0) + 1);
  }
  const total = profile.samples.length;
  for (const [k, n] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 45))
    console.log(`${((100 * n) / total).toFixed(1).padStart(5)}% ${k}`);
}
rmSync(dir, { recursive: true, force: true });
process.exit(0);
