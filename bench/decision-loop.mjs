// `node bench/decision-loop.mjs`: the instructions of one decision in process, without HTTP: the decision
// endpoint's handler (`handleDecideRequest`: request attributes, the chain, the verified-key cache, the
// requirements, the rendered answer) called in a loop with 500 real keys cycling, on request objects shaped like
// Node's, with a response that only records the status. Runs itself twice under callgrind (20,000 and 220,000
// decisions after the same warm-up) and divides the difference of the totals by 200,000, so start-up, key
// creation and warm-up cancel out. `--breakdown` also prints the native functions (OpenSSL, V8 builtins, GC)
// by instructions per decision; JIT-compiled JavaScript shows as one line. Method: bench/README.md.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createWarden } from 'warden';
import { ROOT, SLOW_PERIODIC_WORK, storeConfig } from './harness.mjs';
import { createRealKeys } from './store.mjs';

const SHORT = 20_000;
const LONG = 220_000;
const dist = (file) => pathToFileURL(join(ROOT, 'packages/server/dist', file)).href;

/** The child: N decisions after the warm-up, in this process. */
async function loop(count) {
  const { handleDecideRequest } = await import(dist('http/routes/decide.js'));
  const { TrustedProxies } = await import(dist('http/request-attributes.js'));
  const dir = mkdtempSync(join(tmpdir(), 'warden-loop-'));
  // Periodic work is per second, not per decision: slowed so the two runs' different lengths do not count.
  const config = storeConfig(dir, SLOW_PERIODIC_WORK);
  const warden = await createWarden({ config });
  const keys = await createRealKeys(createWarden, config, 500);
  const trusted = new TrustedProxies(warden.config.server.trusted_proxies);
  const socket = { remoteAddress: '127.0.0.1' };
  // Like an IncomingMessage: raw headers, and `headers` built from them when read (a prototype getter, so
  // making one costs what making a plain object does).
  class Request {
    url = '/v1/decide';
    method = 'GET';
    socket = socket;
    constructor(key) {
      this.authorization = `Bearer ${key}`;
      this.rawHeaders = ['host', '127.0.0.1:8080', 'authorization', this.authorization];
    }
    get headers() {
      return { host: '127.0.0.1:8080', authorization: this.authorization };
    }
  }
  const requestFor = (key) => new Request(key);
  let status = 0;
  const response = {
    headersSent: false,
    writeHead(code) {
      status = code;
      return this;
    },
    end() {},
  };
  const run = (n) => {
    for (let i = 0; i < n; i++) handleDecideRequest(warden, trusted, requestFor(keys[i % keys.length]), response);
  };
  run(keys.length); // the first decision per key reads the store and proves the secret
  await new Promise((resolve) => setTimeout(resolve, 100));
  run(30_000); // V8's optimizing compiler
  run(count);
  if (status !== 200) throw new Error(`the last decision answered ${status}`);
  await warden.close();
  rmSync(dir, { recursive: true, force: true });
}

/** One child under callgrind; its output file. */
function underCallgrind(count, outDir) {
  const out = join(outDir, `callgrind.${count}`);
  return new Promise((resolve, reject) => {
    const child = spawn(
      'valgrind',
      [
        '--tool=callgrind',
        '--smc-check=all-non-file',
        `--callgrind-out-file=${out}`,
        `--log-file=${out}.log`,
        process.execPath,
        fileURLToPath(import.meta.url),
        '--child',
        String(count),
      ],
      { stdio: 'inherit' },
    );
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`child ${count} exited ${code}`))));
  });
}

const total = (file) => Number(/^summary: (\d+)$/m.exec(readFileSync(file, 'utf8'))?.[1]);

/** Instructions per function, from callgrind_annotate; JIT code (no symbol) folded into one line. */
function byFunction(file) {
  const out = execFileSync('callgrind_annotate', ['--threshold=100', file], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const functions = new Map();
  for (const line of out.split('\n')) {
    const match = /^\s*([\d,]+)\s+\([\s\d.]+%\)\s+(.*)$/.exec(line);
    if (!match || line.includes('PROGRAM TOTALS')) continue;
    const name = /^\?\?\?:0x[0-9a-f]+ \[\?\?\?\]$/.test(match[2]) ? 'JIT-compiled JavaScript' : match[2];
    functions.set(name, (functions.get(name) ?? 0) + Number(match[1].replaceAll(',', '')));
  }
  return functions;
}

async function main() {
  const outDir = mkdtempSync(join(tmpdir(), 'warden-loop-cg-'));
  try {
    const [short, long] = await Promise.all([underCallgrind(SHORT, outDir), underCallgrind(LONG, outDir)]);
    const perDecision = (total(long) - total(short)) / (LONG - SHORT);
    process.stdout.write(`${Math.round(perDecision)} instructions per decision (handleDecideRequest, in process)\n`);
    if (process.argv.includes('--breakdown')) {
      const [a, b] = [byFunction(short), byFunction(long)];
      const rows = [...b].map(([name, n]) => [name, (n - (a.get(name) ?? 0)) / (LONG - SHORT)]);
      rows.sort((x, y) => y[1] - x[1]);
      for (const [name, n] of rows.slice(0, 30)) process.stdout.write(`${n.toFixed(0).padStart(7)}  ${name}\n`);
    }
  } finally {
    for (const file of readdirSync(outDir)) rmSync(join(outDir, file));
    rmSync(outDir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') {
  await loop(Number(process.argv[3]));
  process.exit(0);
} else {
  try {
    execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
  } catch {
    process.stderr.write('valgrind is not installed (Debian: apt-get install valgrind)\n');
    process.exit(1);
  }
  await main();
}
