// Profiles `warden serve` under allow traffic only (valid keys cycling), for bench/README's cost breakdown:
//   node bench/profile-allow.mjs [seconds]   -> writes a .cpuprofile into /tmp/warden-profile and prints the top
// self-time functions. Uses the same keys, load and pinning as run.mjs.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createWarden } from 'warden';
import { keyedRequestSets, runLoad } from './load.mjs';
import { createRealKeys } from './store.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const PROFILE_DIR = join(tmpdir(), 'warden-profile');
const seconds = Number(process.argv[2] ?? 8);
const PEPPER = 'benchPepperNotASecretDoNotUse0123456789abcd';
const MASTER_KEY = 'benchMasterKeyNotASecretDoNotUse0123456789a';

rmSync(PROFILE_DIR, { recursive: true, force: true });
mkdirSync(PROFILE_DIR, { recursive: true });
const dir = mkdtempSync(join(tmpdir(), 'warden-profile-data-'));
const config = {
  data_dir: dir,
  database: { url: `sqlite:${join(dir, 'warden.db')}` },
  secrets: { pepper: PEPPER, master_key: MASTER_KEY },
  log: { level: 'warn' },
};
const migrated = await createWarden({ config });
await migrated.close();
const keys = await createRealKeys(createWarden, config, 500);
const port = 18000 + Math.floor(Math.random() * 1000);
const child = spawn(
  'taskset',
  [
    '-c',
    '1',
    process.execPath,
    '--cpu-prof',
    `--cpu-prof-dir=${PROFILE_DIR}`,
    join(ROOT, 'packages/server/dist/cli/main.js'),
    'serve',
    '--data-dir',
    dir,
    '--port',
    String(port),
  ],
  {
    cwd: dir,
    env: { ...process.env, WARDEN_LOG_LEVEL: 'warn', WARDEN_PEPPER: PEPPER, WARDEN_MASTER_KEY: MASTER_KEY },
    stdio: ['ignore', 'ignore', 'inherit'],
  },
);
for (;;) {
  try {
    if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break;
  } catch {}
  await new Promise((r) => setTimeout(r, 100));
}
const url = `http://127.0.0.1:${port}/v1/decide`;
const requestSets = keyedRequestSets(keys, 64, '/v1/decide');
await runLoad({ url, seconds: 2, connections: 64, requestSets });
const result = await runLoad({ url, seconds, connections: 64, requestSets });
process.stderr.write(`${Math.round(result.rps)} req/s, ${result.unexpected} unexpected\n`);
const exited = new Promise((r) => child.once('exit', r));
child.kill('SIGTERM');
await exited;
rmSync(dir, { recursive: true, force: true });

const file = readdirSync(PROFILE_DIR).find((name) => name.endsWith('.cpuprofile'));
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
