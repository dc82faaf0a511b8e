import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  bootstrapKeysIn,
  buildCli,
  CLI,
  cleanEnv,
  KEY_PATTERN,
  REPO_ROOT,
  runCleanups,
  serve,
  workDir,
} from './helpers/cli.js';

beforeAll(buildCli, 180_000);
afterEach(runCleanups);

/**
 * The commands of the shell blocks under a README heading, as a reader types them: a line ending in `\` joined
 * with the next, comments (a whole line, or after two spaces) dropped.
 */
function readmeCommands(heading: string): string[][] {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf(`\n${heading}\n`);
  if (start === -1) throw new Error(`no "${heading}" in the README`);
  const section = readme.slice(start + 1).split(/\n## /)[0]!;
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((block) =>
    block[1]!
      .replace(/\\\n\s*/g, '')
      .split('\n')
      .map((line) => line.replace(/\s{2,}#.*$/, '').trim())
      .filter((line) => line !== '' && !line.startsWith('#')),
  );
}

/** Replaces `placeholder` in `command`, which must hold it: the test runs what the README says, nothing else. */
function fill(command: string, placeholder: string, value: string): string {
  expect(command).toContain(placeholder);
  return command.replaceAll(placeholder, value);
}

describe('the README quick start ("Protect a service in five minutes")', () => {
  it('runs as written against the server, with the keys it prints put where the README says', async () => {
    const [server, cli] = readmeCommands('## Protect a service in five minutes');
    const cwd = workDir();
    // `npm ci && npm start` is what cli-serve.test.ts runs as `npm start`; here the same server in a directory of
    // the test's, on a free port in place of 8080.
    expect(server![0]).toBe('npm ci && npm start');
    const served = await serve(cwd);
    const [admin] = bootstrapKeysIn(served.stdout());
    expect(admin).toMatch(KEY_PATTERN);
    const sh = async (command: string, env: Record<string, string> = {}) => {
      const filled = command
        .replaceAll('http://127.0.0.1:8080', served.baseUrl)
        .replaceAll('npx warden', `node ${CLI}`);
      const { stdout } = await promisify(execFile)('bash', ['-euo', 'pipefail', '-c', filled], {
        cwd,
        env: cleanEnv(env),
      });
      return stdout;
    };

    // "copy the bootstrap admin key it prints, then:"
    expect(server![1]).toBe('ADMIN=wdn_...');
    const created = JSON.parse(await sh(server![2]!, { ADMIN: admin! }));
    expect(created.key).toMatch(KEY_PATTERN);
    expect(created.record).toMatchObject({ subject: 'orders-svc', scopes: ['orders.read'], status: 'active' });
    const decided = await sh(fill(server![3]!, 'wdn_...', created.key));
    expect(decided).toMatch(/^HTTP\/1\.1 200 /);
    expect(decided).toMatch(/^x-auth-subject: orders-svc\r$/m);
    expect(server).toHaveLength(4);

    // "The same from the CLI (it shares the database with the running server)".
    const made = await sh(cli![0]!);
    const key = /^key +(wdn_\S+)$/m.exec(made)![1]!;
    const id = /^id +(\S+)$/m.exec(made)![1]!;
    const listed = JSON.parse(await sh(cli![1]!));
    expect(listed.items.map((item: { id: string }) => item.id)).toEqual(
      expect.arrayContaining([id, created.record.id]),
    );
    expect(await sh(fill(cli![2]!, 'wdn_...', key))).toBe('valid: orders-svc (service)\n');
    const rotated = await sh(fill(cli![3]!, '<id>', id));
    expect(rotated).toContain(`${id} stops working at `);
    const newKey = /^key +(wdn_\S+)$/m.exec(rotated)![1]!;
    expect(await sh(fill(cli![4]!, '<id>', id))).toMatch(new RegExp(`^revoked ${id}\n`));
    expect(cli).toHaveLength(5);
    // The server answers from the same store: the rotated key works there, the revoked one does not.
    const decide = (presented: string) =>
      fetch(`${served.baseUrl}/v1/decide`, { headers: { 'x-api-key': presented } }).then((answer) => answer.status);
    expect(await decide(newKey)).toBe(200);
    expect(await decide(key)).toBe(401);
  });
});
