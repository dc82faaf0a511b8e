import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, runCleanups, wardenJson, workDir } from './helpers/cli.js';

beforeAll(buildCli, 180_000);
afterEach(runCleanups);

describe('server secrets', () => {
  it('the first command generates pepper and master.key with mode 0600 in a 0700 data directory', async () => {
    const cwd = workDir();
    await wardenJson(['keys', 'create', '--subject', 'svc'], { cwd });
    const dataDir = join(cwd, '.warden');
    expect(statSync(join(dataDir, 'pepper')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dataDir, 'master.key')).mode & 0o777).toBe(0o600);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
  });

  it('with WARDEN_PEPPER and WARDEN_MASTER_KEY no secret file is written', async () => {
    const cwd = workDir();
    const env = {
      WARDEN_PEPPER: 'pepper-from-env-0123456789abcdefghijkl',
      WARDEN_MASTER_KEY: 'master-from-env-0123456789abcdefghijkl',
    };
    await wardenJson(['keys', 'create', '--subject', 'svc'], { cwd, env });
    expect(existsSync(join(cwd, '.warden', 'pepper'))).toBe(false);
    expect(existsSync(join(cwd, '.warden', 'master.key'))).toBe(false);
  });

  it('a too-short WARDEN_PEPPER stops a keys command with exit 2', async () => {
    const cwd = workDir();
    const out = await wardenJson(['keys', 'list'], { cwd, env: { WARDEN_PEPPER: 'too-short' } }, 2);
    expect(out.error).toBe('config_invalid');
    expect(out.message).toBe(
      'invalid configuration:\n  - WARDEN_PEPPER: too short, at least 32 characters are required',
    );
  });

  it('a different pepper on a database first used with another exits 2', async () => {
    const cwd = workDir();
    const created = await wardenJson(['keys', 'create', '--subject', 'svc'], { cwd });
    const out = await wardenJson(
      ['keys', 'verify', created.key],
      { cwd, env: { WARDEN_PEPPER: 'another-pepper-0123456789abcdefghijkl' } },
      2,
    );
    expect(out.error).toBe('config_invalid');
    expect(out.message).toMatch(/^the pepper differs from the one this database was first used with/);
  });
});
