import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { configFields } from '../src/config/fields.js';
import { buildCli, REPO_ROOT, runCleanups, warden, workDir } from './helpers/cli.js';

beforeAll(buildCli, 180_000);
afterEach(runCleanups);

describe('usage', () => {
  it('--help prints the commands and exits 0', async () => {
    const run = await warden(['--help'], { cwd: workDir() });
    expect(run.code).toBe(0);
    for (const command of ['serve', 'migrate', 'config', 'keys']) expect(run.stdout).toContain(command);
  });

  it('serve --help names every flag of the configuration schema with its environment variable', async () => {
    const run = await warden(['serve', '--help'], { cwd: workDir() });
    expect(run.code).toBe(0);
    // commander wraps long lines: compare with the whitespace folded.
    const help = run.stdout.replace(/\s+/g, ' ');
    const flagged = configFields().filter((field) => field.flag);
    expect(flagged.length).toBeGreaterThan(5);
    for (const field of flagged) {
      expect(help).toContain(`${field.flag} <`);
      expect(help).toContain(`env ${field.env}`);
    }
  });

  it('--version prints the version of the warden package and exits 0', async () => {
    const run = await warden(['--version'], { cwd: workDir() });
    expect(run.code).toBe(0);
    const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'packages/server/package.json'), 'utf8'));
    expect(run.stdout.trim()).toBe(version);
  });

  it('keys --help lists every key command', async () => {
    const run = await warden(['keys', '--help'], { cwd: workDir() });
    expect(run.code).toBe(0);
    for (const command of ['create', 'list', 'show', 'revoke', 'rotate', 'verify'])
      expect(run.stdout).toContain(command);
  });

  it('an unknown command exits 2', async () => {
    const run = await warden(['frobnicate'], { cwd: workDir() });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("unknown command 'frobnicate'");
  });

  it('an unknown option exits 2', async () => {
    const run = await warden(['keys', 'list', '--colour'], { cwd: workDir() });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("unknown option '--colour'");
  });

  it('a misspelled option is reported with a did-you-mean before any missing required option, exit 2', async () => {
    const cwd = workDir();
    const create = await warden(['keys', 'create', '--subjet', 'orders-svc'], { cwd });
    expect(create.code).toBe(2);
    expect(create.stderr).toContain("error: unknown option '--subjet' (did you mean --subject?)\n");
    expect(create.stderr).not.toContain('required option');
    // Every command, whatever its options; the value given with `=` is not part of the name.
    for (const [args, message] of [
      [['serve', '--prot=80'], "unknown option '--prot' (did you mean --port?)"],
      [['config', 'check', '--jsno'], "unknown option '--jsno' (did you mean --json?)"],
      [['migrate', '--data-dri', 'x'], "unknown option '--data-dri' (did you mean --data-dir?)"],
      [['keys', 'verify', 'wdn_x', '--frobnicate'], "unknown option '--frobnicate'\n"],
    ] as const) {
      const run = await warden([...args], { cwd });
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toContain(`error: ${message}`);
    }
    // Nothing ran: no store was made.
    expect(existsSync(join(cwd, '.warden'))).toBe(false);
    // Asking for help still gets help.
    const help = await warden(['keys', 'create', '--subjet', 'x', '--help'], { cwd });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: warden keys create');
  });

  it('every command, found from --help, answers a misspelled flag with a did-you-mean and runs nothing', async () => {
    const cwd = workDir();
    const help = async (path: string[]) => {
      const run = await warden([...path, '--help'], { cwd });
      expect(run.code, path.join(' ')).toBe(0);
      return run.stdout;
    };
    /** The names under a "Commands:" heading, but `help`. */
    const subcommands = (text: string) =>
      [...(text.split('\nCommands:\n')[1] ?? '').matchAll(/^ {2}([a-z][\w-]*)/gm)]
        .map((match) => match[1]!)
        .filter((name) => name !== 'help');
    const leaves: string[][] = [];
    const walk = async (path: string[]): Promise<void> => {
      const names = subcommands(await help(path));
      if (names.length === 0) leaves.push(path);
      await Promise.all(names.map((name) => walk([...path, name])));
    };
    await walk([]);
    const found = leaves.map((path) => path.join(' '));
    for (const command of ['serve', 'keys create', 'clients create', 'signing-keys rotate', 'rules test', 'token get'])
      expect(found).toContain(command);
    // A flag of the command's own where it has one (what it was made for, often required), else a store flag.
    const storeFlags = ['--config', '--data-dir', '--database', '--json', '--help'];
    await Promise.all(
      leaves.map(async (path) => {
        const flags = [...(await help(path)).matchAll(/^ {2}(?:-\w, )?(--[\w-]+)/gm)].map((match) => match[1]!);
        const flag = flags.find((name) => !storeFlags.includes(name)) ?? flags[0]!;
        // One letter dropped: `--subject` -> `--subjct`.
        const typo = flag.slice(0, -2) + flag.slice(-1);
        const run = await warden([...path, typo, 'x'], { cwd });
        expect(run.code, `${path.join(' ')} ${typo}`).toBe(2);
        expect(run.stderr, path.join(' ')).toContain(`error: unknown option '${typo}' (did you mean ${flag}?)\n`);
      }),
    );
    expect(existsSync(join(cwd, '.warden'))).toBe(false);
  }, 120_000);

  it('a missing required option or argument exits 2; a problem with a flag is worded "--flag: ..."', async () => {
    const cwd = workDir();
    for (const [args, message] of [
      [['keys', 'create'], 'error: --subject: is required\n'],
      [['rules', 'test', '--url', 'http://a/'], 'error: --method: is required\n'],
      [['serve', '--port'], 'error: --port: needs a value\n'],
      [['keys', 'list', '--status', 'gone'], 'error: --status: must be one of active, revoked, expired\n'],
      [['keys', 'show'], "error: missing required argument 'id'\n"],
    ] as const) {
      const run = await warden([...args], { cwd });
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr, args.join(' ')).toMatch(new RegExp(`^${message.replace(/[.()]/g, '\\$&')}`));
    }
  });
});
