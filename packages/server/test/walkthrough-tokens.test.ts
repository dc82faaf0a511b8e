import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, CLI, cleanEnv, REPO_ROOT, runCleanups, serve, workDir } from './helpers/cli.js';

beforeAll(buildCli, 180_000);
afterEach(runCleanups);

/** The shell block after `<!-- walkthrough: NAME -->` in the README, as a reader copies it. */
function readmeBlock(name: string): string {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf(`<!-- walkthrough: ${name} -->`);
  if (start === -1) throw new Error(`no walkthrough ${name} in the README`);
  const match = /```sh\n([\s\S]*?)```/.exec(readme.slice(start));
  return match![1]!;
}

describe('the README walkthrough from a service account to a protected route', () => {
  it('runs as written against `warden serve`, and prints what the README says', async () => {
    const cwd = workDir();
    const served = await serve(cwd);
    // What differs from the reader's machine: this server's port, and the CLI run from the repository.
    const script = readmeBlock('tokens')
      .replaceAll('http://127.0.0.1:8080', served.baseUrl)
      .replaceAll('npx warden', `node ${CLI}`);
    const { stdout, stderr } = await promisify(execFile)('bash', ['-euo', 'pipefail', '-c', script], {
      cwd,
      env: cleanEnv(),
    });
    const lines = stdout.trim().split('\n');
    expect(lines[0], stderr).toBe('200');
    const answer = JSON.parse(lines[1]!) as { subject: string; credential: string; scopes: string[] };
    expect(answer).toMatchObject({ credential: 'jwt', scopes: ['orders.read'] });
    expect(answer.subject).toMatch(/^[0-9A-Za-z]{16}$/);
  });
});
