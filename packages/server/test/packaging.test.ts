import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, cleanEnv, KEY_PATTERN, REPO_ROOT } from './helpers/cli.js';
import { tempDir } from './helpers/databases.js';

/**
 * `warden` and `@warden/sdk` as another project gets them: `npm pack` tarballs of both workspaces, installed
 * with `npm install` into a fresh project outside the repository, then used there by a plain ESM script, by
 * the TypeScript compiler and through `npx warden`.
 *
 * One step is not repeated: the install runs with `--ignore-scripts`, and the native binding of better-sqlite3
 * that the repository's own `npm ci` compiled is copied in. Without a prebuilt binary to download (these
 * machines cannot reach GitHub), that compile takes over a minute of the two shared cores, and it tests
 * better-sqlite3's build, not Warden's packaging. The test checks that better-sqlite3 is the only dependency
 * with an install script, so no other one is skipped unnoticed.
 */

interface PackedFile {
  path: string;
}
interface Packed {
  name: string;
  version: string;
  filename: string;
  files: PackedFile[];
}

const SERVER_MANIFEST = JSON.parse(readFileSync(join(REPO_ROOT, 'packages/server/package.json'), 'utf8'));
const SDK_MANIFEST = JSON.parse(readFileSync(join(REPO_ROOT, 'packages/sdk/package.json'), 'utf8'));
/** How long installing both tarballs may take, dependencies coming from the npm cache. */
const INSTALL_BUDGET_MS = 60_000;

/**
 * The environment of the npm and node processes: the test's own, without WARDEN_* (see cleanEnv) and without
 * what an enclosing `npm test` exports about the repository (`npm_config_local_prefix`, `npm_package_*`,
 * a `-w` filter...), which would point npm at the workspace instead of the temporary project. Where packages
 * come from (cache, registry) is kept.
 */
function childEnv(): Record<string, string> {
  const kept = new Set(['npm_config_cache', 'npm_config_registry', 'npm_config_userconfig']);
  return Object.fromEntries(
    Object.entries(cleanEnv()).filter(([name]) => !name.toLowerCase().startsWith('npm_') || kept.has(name)),
  );
}

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], cwd: string): Promise<Ran> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, env: childEnv(), maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') reject(error);
      else resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
    });
  });
}

/** Runs a command that must succeed; a failure shows its output. */
async function succeed(command: string, args: string[], cwd: string): Promise<string> {
  const ran = await run(command, args, cwd);
  expect(ran.code, `${command} ${args.join(' ')}\nstdout: ${ran.stdout}\nstderr: ${ran.stderr}`).toBe(0);
  return ran.stdout;
}

/** Every file path an `exports` map (with its conditions) points at. */
function exportTargets(exports: unknown): string[] {
  if (typeof exports === 'string') return [exports.replace(/^\.\//, '')];
  if (typeof exports !== 'object' || exports === null) return [];
  return Object.values(exports).flatMap(exportTargets);
}

/** The installed packages (scoped ones included) that run a script when installed. */
function packagesWithInstallScripts(nodeModules: string): string[] {
  const names = readdirSync(nodeModules).flatMap((entry) =>
    entry.startsWith('@') ? readdirSync(join(nodeModules, entry)).map((name) => `${entry}/${name}`) : [entry],
  );
  return names.filter((name) => {
    try {
      const { scripts = {} } = JSON.parse(readFileSync(join(nodeModules, name, 'package.json'), 'utf8'));
      return ['preinstall', 'install', 'postinstall'].some((script) => script in scripts);
    } catch {
      return false; // .bin, .package-lock.json
    }
  });
}

/** What a consumer writes first: the engine on a SQLite file, a key, a decision, and the SDK beside it. */
const CONSUMER_SCRIPT = `
import { createWarden, WardenError } from 'warden';
import { DECISION_ERRORS } from '@warden/sdk';
import { CredentialManager } from '@warden/sdk/credentials';

const warden = await createWarden({ config: { data_dir: process.argv[2], log: { level: 'warn' } } });
try {
  const issued = await warden.keys.create({ subject: 'orders-svc', scopes: ['orders.read'] });
  // The SDK's outbound side presents the key as a caller would.
  const outbound = CredentialManager.fromYaml(
    'credentials:\\n  orders:\\n    type: api_key\\n    scheme: x_api_key\\n    key: ' + issued.key + '\\n',
  );
  const sent = await outbound.getHeaders('orders');
  outbound.close();
  const headers = Object.fromEntries(Object.entries(sent).map(([name, value]) => [name.toLowerCase(), value]));
  const request = (headers) => ({ method: 'GET', host: 'orders.internal', path: '/orders', headers, peer: '127.0.0.1' });
  const allowed = await warden.decide(request(headers), { scopes: ['orders.read'] });
  const denied = await warden.decide(request({}), { scopes: ['orders.read'] });
  const refused = await warden.keys.create({ subject: 42 }).catch((error) => error);
  const internals = await import('warden/dist/engine.js').then(() => 'importable', (error) => error.code);
  console.log(JSON.stringify({
    createdBy: issued.record.createdBy,
    allowed: allowed.allow ? allowed.principal.subject : allowed.code,
    denied: { status: denied.status, code: denied.code, sdkStatus: DECISION_ERRORS[denied.code]?.status },
    refused: { isWardenError: refused instanceof WardenError, code: refused.code },
    internals,
  }));
} finally {
  await warden.close();
}
`;

/** Type-checks against the installed declarations; each expected error proves the types were resolved. */
const CONSUMER_TYPES = `
import { createWarden, type Decision, type Warden, WardenError } from 'warden';
import type { Principal } from '@warden/sdk';
import { CredentialManager } from '@warden/sdk/credentials';

export async function start(): Promise<Warden> {
  const warden = await createWarden({ config: { data_dir: '.warden' } });
  const issued = await warden.keys.create({ subject: 'orders-svc', scopes: ['orders.read'] });
  const key: string = issued.key;
  // @ts-expect-error subject is a string
  await warden.keys.create({ subject: 42 });
  // @ts-expect-error a requirement level has no "scope" (it is "scopes")
  await warden.decide({ method: 'GET', host: 'h', path: '/', headers: {}, peer: '' }, { scope: ['a'] });
  const decision: Decision = await warden.decide({ method: 'GET', host: 'h', path: '/', headers: { 'x-api-key': key }, peer: '' });
  const principal: Principal | null = decision.allow ? decision.principal : null;
  // @ts-expect-error WardenError codes come from the registry
  new WardenError('no_such_code');
  CredentialManager.fromYaml('credentials: {}');
  return principal ? warden : warden;
}
`;

describe('packaging: warden and @warden/sdk from npm pack tarballs, installed into another project', () => {
  let packDir: string;
  let project: string;
  let packed: Packed[];
  let installMs: number;
  let installedWithScripts: string[];

  beforeAll(async () => {
    buildCli();
    packDir = tempDir('warden-pack');
    project = tempDir('warden-consumer');
    const packOutput = await succeed(
      'npm',
      ['pack', '--json', '--pack-destination', packDir, '-w', 'packages/sdk', '-w', 'packages/server'],
      REPO_ROOT,
    );
    packed = JSON.parse(packOutput);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    const tarballs = packed.map((tarball) => join(packDir, tarball.filename));
    const started = performance.now();
    await succeed(
      'npm',
      ['install', ...tarballs, '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'],
      project,
    );
    installMs = performance.now() - started;
    console.info(`npm install of both tarballs: ${Math.round(installMs)} ms`);
    installedWithScripts = packagesWithInstallScripts(join(project, 'node_modules'));
    await provideNativeSqliteBinding(project);
  }, 240_000);

  afterAll(() => {
    for (const dir of [packDir, project]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('each tarball holds its manifest, dist with every export target, its sources and nothing else', () => {
    const manifests = { warden: SERVER_MANIFEST, '@warden/sdk': SDK_MANIFEST };
    expect(packed.map((tarball) => tarball.name).sort()).toEqual(Object.keys(manifests).sort());
    for (const tarball of packed) {
      const manifest = manifests[tarball.name as keyof typeof manifests];
      const paths = new Set(tarball.files.map((file) => file.path));
      expect(tarball.version).toBe(manifest.version);
      for (const target of [...exportTargets(manifest.exports), manifest.main, manifest.types]) {
        expect(paths, `${tarball.name}: ${target}`).toContain(target.replace(/^\.\//, ''));
      }
      for (const path of paths) {
        expect(path, `${tarball.name} ships ${path}`).toMatch(
          /^(package\.json|README\.md|LICENSE|(dist|src|bin)\/.+)$/,
        );
        expect(path).not.toMatch(/\.tsbuildinfo$|(^|\/)test\//);
      }
    }
    const server = packed.find((tarball) => tarball.name === 'warden')!;
    const serverPaths = server.files.map((file) => file.path);
    expect(serverPaths).toContain(SERVER_MANIFEST.bin.warden.replace(/^\.\//, ''));
    expect(serverPaths).toContain('dist/cli/main.js');
  });

  it(`installs from the tarballs within ${INSTALL_BUDGET_MS / 1000} s, and only better-sqlite3 has an install script`, () => {
    expect(installMs).toBeLessThan(INSTALL_BUDGET_MS);
    // The install skipped scripts (see the top of this file); a new dependency with one must be looked at.
    expect(installedWithScripts).toEqual(['better-sqlite3']);
  });

  it('a plain ESM script imports createWarden from warden and the SDK, creates a key and decides', async () => {
    const dataDir = join(project, 'data');
    writeFileSync(join(project, 'consumer.mjs'), CONSUMER_SCRIPT);
    const output = JSON.parse(await succeed(process.execPath, ['consumer.mjs', dataDir], project));
    expect(output).toEqual({
      createdBy: 'programmatic',
      allowed: 'orders-svc',
      denied: { status: 401, code: 'missing_credentials', sdkStatus: 401 },
      refused: { isWardenError: true, code: 'invalid_request' },
      // Only what the exports map names can be imported: internals are not part of the interface.
      internals: 'ERR_PACKAGE_PATH_NOT_EXPORTED',
    });
  });

  it('TypeScript resolves both packages to their declarations through the exports maps', async () => {
    writeFileSync(join(project, 'consumer-types.ts'), CONSUMER_TYPES);
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: [],
        },
        files: ['consumer-types.ts'],
      }),
    );
    await succeed(process.execPath, [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', project], project);
  });

  it('npx warden: --help, --version, and keys create/verify on a SQLite file in the project', async () => {
    const help = await succeed('npx', ['warden', '--help'], project);
    for (const command of ['serve', 'migrate', 'keys', 'token']) expect(help).toContain(command);
    expect((await succeed('npx', ['warden', '--version'], project)).trim()).toBe(SERVER_MANIFEST.version);

    const created = JSON.parse(
      await succeed('npx', ['warden', 'keys', 'create', '--subject', 'ci', '--json'], project),
    );
    expect(created.key).toMatch(KEY_PATTERN);
    await succeed('npx', ['warden', 'keys', 'verify', created.key], project);
    const forged = `${created.key.slice(0, -1)}${created.key.endsWith('A') ? 'B' : 'A'}`;
    expect((await run('npx', ['warden', 'keys', 'verify', forged], project)).code).toBe(1);
  });
});

/**
 * Puts the better-sqlite3 binding the repository compiled into the project (see the top of this file). When npm
 * chose another version for the project, that one is built as a plain install would (over a minute).
 */
async function provideNativeSqliteBinding(project: string): Promise<void> {
  const installed = join(project, 'node_modules/better-sqlite3');
  const built = join(REPO_ROOT, 'node_modules/better-sqlite3');
  const versionOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version;
  if (versionOf(installed) !== versionOf(built)) {
    await succeed('npm', ['rebuild', 'better-sqlite3'], project);
    return;
  }
  mkdirSync(join(installed, 'build/Release'), { recursive: true });
  copyFileSync(join(built, 'build/Release/better_sqlite3.node'), join(installed, 'build/Release/better_sqlite3.node'));
}
