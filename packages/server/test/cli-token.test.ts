import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The authorization server is SDK test support, shared with the SDK's own credential tests.
import { startAuthorizationServer, type TestAuthorizationServer } from '../../sdk/test/support/authorization-server.js';
import { buildCli, CLI } from './helpers/cli.js';
import { tempDir } from './helpers/databases.js';

const KEY = 'cli-billing-key-6f5e4d3c2b1a';
const CLIENT_SECRET = 'cli-client-secret-a1b2c3d4e5';

let as: TestAuthorizationServer;
let directory: string;

function runCli(args: string[], options: { env?: Record<string, string>; input?: string } = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((done, fail) => {
    // Asynchronous on purpose: the authorization server runs in this process and must keep answering.
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: directory,
      env: { PATH: process.env['PATH'] ?? '', HOME: directory, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** Introspect a token at the authorization server, as a resource server would. */
const introspect = (token: string) => as.introspect(token, { id: 'cli-svc', secret: CLIENT_SECRET });

beforeAll(buildCli, 180_000);

beforeAll(async () => {
  as = await startAuthorizationServer();
  as.addClient({
    client_id: 'cli-svc',
    client_secret: CLIENT_SECRET,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
  });
  as.addClient({
    client_id: 'cli-pw',
    token_endpoint_auth_method: 'none',
    grant_types: ['password'],
    response_types: [],
    redirect_uris: [],
  });
  as.users.set('dave', { password: 'dave-password-5', otp: { code: '246810', style: 'keycloak' } });
  directory = tempDir('warden-cli-token');
  await writeFile(
    join(directory, 'credentials.yaml'),
    [
      'credentials:',
      '  billing:',
      '    type: api_key',
      '    key: ${BILLING_KEY}',
      '    scheme: custom',
      '    header: X-Billing-Key',
      '    prefix: Token',
      '  orders:',
      '    type: oauth2_client_credentials',
      `    issuer: ${as.issuer}`,
      '    client_id: cli-svc',
      '    client_secret: ${ORDERS_SECRET}',
      '  refused:',
      '    type: oauth2_client_credentials',
      `    token_url: ${as.tokenUrl}`,
      '    client_id: cli-svc',
      '    client_secret: not-the-right-secret-xyz',
      '  user:',
      '    type: oauth2_password',
      `    token_url: ${as.tokenUrl}`,
      '    client_id: cli-pw',
      '    username: dave',
      '    password: dave-password-5',
      '    otp_parameter: totp',
    ].join('\n'),
  );
  await writeFile(join(directory, 'broken.yaml'), 'credentials:\n  billing:\n    type: api_key\n    scheme: custom\n');
});

afterAll(async () => {
  await as?.close();
  if (directory) rmSync(directory, { recursive: true, force: true });
});

const env = { BILLING_KEY: KEY, ORDERS_SECRET: CLIENT_SECRET };

describe('warden token get', () => {
  it('prints the key alone (default ./credentials.yaml)', async () => {
    const result = await runCli(['token', 'get', 'billing'], { env });
    expect(result).toMatchObject({ code: 0, stdout: `${KEY}\n`, stderr: '' });
  });

  it('--header prints the whole header line', async () => {
    const result = await runCli(['token', 'get', 'billing', '--header'], { env });
    expect(result).toMatchObject({ code: 0, stdout: `X-Billing-Key: Token ${KEY}\n` });
  });

  it('--json prints token, headers and expires_at; an OAuth token is live at the issuer', async () => {
    const result = await runCli(
      ['token', 'get', 'orders', '--json', '--credentials', join(directory, 'credentials.yaml')],
      { env },
    );
    expect(result.code).toBe(0);
    const output = JSON.parse(result.stdout) as { token: string; headers: Record<string, string>; expires_at: string };
    expect(output.headers).toEqual({ Authorization: `Bearer ${output.token}` });
    expect(Date.parse(output.expires_at)).toBeGreaterThan(Date.now());
    expect(await introspect(output.token)).toMatchObject({ active: true, client_id: 'cli-svc' });
  });

  it('WARDEN_CREDENTIALS names the file', async () => {
    const result = await runCli(['token', 'get', 'billing'], {
      env: { ...env, WARDEN_CREDENTIALS: join(directory, 'credentials.yaml') },
    });
    expect(result).toMatchObject({ code: 0, stdout: `${KEY}\n` });
  });

  it('a configuration error exits 2 with the validation message', async () => {
    const result = await runCli(['token', 'get', 'billing', '--credentials', 'broken.yaml']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(
      'credential "billing" (type api_key): missing key; missing header (scheme is custom)',
    );
    expect(result.stderr).toContain('valid combinations for api_key');
    const json = await runCli(['token', 'get', 'billing', '--credentials', 'broken.yaml', '--json']);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({ error: 'config_invalid', issues: [{ credential: 'billing' }] });
  });

  it('an unset environment variable, a missing file and an unknown name exit 2', async () => {
    const unset = await runCli(['token', 'get', 'billing'], { env: { ORDERS_SECRET: CLIENT_SECRET } });
    expect(unset.code).toBe(2);
    expect(unset.stderr).toContain('environment variable BILLING_KEY is not set (for key)');
    const missing = await runCli(['token', 'get', 'billing', '--credentials', 'nope.yaml']);
    expect(missing.code).toBe(2);
    const unknown = await runCli(['token', 'get', 'nobody'], { env });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no credential named "nobody" (configured: billing, orders, refused, user)');
  });

  it('one invalid credential does not block the others: it is a one-line warning naming it and its fields', async () => {
    await writeFile(
      join(directory, 'mixed.yaml'),
      [
        'credentials:',
        '  billing:',
        '    type: api_key',
        '    key: ${BILLING_KEY}',
        '  typo:',
        '    type: api_key',
        `    kye: ${KEY}`,
        '  legacy:',
        '    type: basic',
        '    username: reporting',
      ].join('\n'),
    );
    const result = await runCli(['token', 'get', 'billing', '--credentials', 'mixed.yaml'], { env });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${KEY}\n`);
    expect(result.stderr.split('\n')).toEqual([
      'warning: mixed.yaml: credential "typo" (type api_key) is invalid and was skipped: extra field kye (did you mean key?); missing key',
      'warning: mixed.yaml: credential "legacy" (type basic) is invalid and was skipped: missing password',
      '',
    ]);
    // The credential asked for is the one that must be valid: its problems are the error, the others' warnings.
    const asked = await runCli(['token', 'get', 'legacy', '--credentials', 'mixed.yaml', '--json'], { env });
    expect(asked.code).toBe(2);
    expect(JSON.parse(asked.stdout)).toMatchObject({ error: 'config_invalid', issues: [{ credential: 'legacy' }] });
    expect(asked.stderr).toContain('credential "typo"');
    expect(asked.stderr).not.toContain('"legacy"');
    expect(asked.stderr + asked.stdout).not.toContain(KEY);
  });

  it('an unset environment variable is reported once, with every field that uses it', async () => {
    await writeFile(
      join(directory, 'unset.yaml'),
      [
        'credentials:',
        '  billing:',
        '    type: api_key',
        '    key: ${BILLING_KEY}',
        '    scheme: custom',
        '    header: ${BILLING_HEADER}',
        '    prefix: ${BILLING_HEADER}',
      ].join('\n'),
    );
    const result = await runCli(['token', 'get', 'billing', '--credentials', 'unset.yaml']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'credential "billing" (type api_key): environment variable BILLING_KEY is not set (for key); ' +
        'environment variable BILLING_HEADER is not set (for header, prefix)\n',
    );
    expect(result.stderr.match(/BILLING_HEADER/g)).toHaveLength(1);
    expect(result.stderr.match(/BILLING_KEY/g)).toHaveLength(1);
    expect(result.stderr).not.toMatch(/missing (key|header)/);
  });

  it('a file that cannot be read is "cannot read FILE" with the reason, and nothing else', async () => {
    const missing = await runCli(['token', 'get', 'billing', '--credentials', 'nope.yaml']);
    expect(missing).toEqual({
      code: 2,
      stdout: '',
      stderr: 'error: cannot read nope.yaml: no such file or directory (ENOENT)\n',
    });
    const directoryInstead = await runCli(['token', 'get', 'billing', '--credentials', '.', '--json']);
    expect(directoryInstead.code).toBe(2);
    expect(JSON.parse(directoryInstead.stdout)).toMatchObject({
      error: 'config_invalid',
      message: 'cannot read .: illegal operation on a directory (EISDIR)',
    });
  });

  it('--credentials names the file; --config still works with a one-line deprecation warning', async () => {
    const help = await runCli(['token', 'get', '--help']);
    expect(help.stdout).toMatch(/--credentials <file> +credentials file/);
    const current = await runCli(['token', 'get', 'billing', '--credentials', 'credentials.yaml'], { env });
    expect(current).toEqual({ code: 0, stdout: `${KEY}\n`, stderr: '' });
    const deprecated = await runCli(['token', 'get', 'billing', '--config', 'credentials.yaml'], { env });
    expect(deprecated).toEqual({
      code: 0,
      stdout: `${KEY}\n`,
      stderr: 'warning: "token get --config" is deprecated; use --credentials FILE\n',
    });
    // The deprecated flag still names the file: a wrong one is an error, not a silent fallback to the default.
    const wrong = await runCli(['token', 'get', 'billing', '--config', 'nope.yaml'], { env });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('cannot read nope.yaml');
    const both = await runCli(['token', 'get', 'billing', '--config', 'a.yaml', '--credentials', 'b.yaml'], { env });
    expect(both.code).toBe(2);
  });

  it('a refused client exits 1 with the reason and without the secret', async () => {
    const result = await runCli(['token', 'get', 'refused'], { env });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('invalid_client');
    expect(result.stderr).not.toContain('not-the-right-secret-xyz');
  });

  it('a password credential needing an OTP: otp_required without one, a token with --otp', async () => {
    const without = await runCli(['token', 'get', 'user', '--json'], { env });
    expect(without.code).toBe(1);
    expect(JSON.parse(without.stdout)).toMatchObject({ error: 'otp_required', credential: 'user' });
    const wrong = await runCli(['token', 'get', 'user', '--otp', '000000'], { env });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('one-time password was rejected');
    const withOtp = await runCli(['token', 'get', 'user', '--otp', '246810'], { env });
    expect(withOtp.code).toBe(0);
    expect(await introspect(withOtp.stdout.trim())).toMatchObject({ active: true, sub: 'dave' });
  });
});

describe('warden token inspect', () => {
  const sign = (claims: Record<string, unknown>, exp: number) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', kid: 'k1', typ: 'at+jwt' })
      .setIssuedAt()
      .setExpirationTime(exp)
      .sign(new TextEncoder().encode('inspect-test-hmac-secret-0123456789abcdef'));

  it('decodes header and claims, says it is not verified and when it expires', async () => {
    const token = await sign({ sub: 'svc-1', scope: 'orders.read' }, Math.floor(Date.now() / 1000) + 3600);
    const result = await runCli(['token', 'inspect', token]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('NOT VERIFIED');
    expect(result.stdout).toContain('"kid":"k1"');
    expect(result.stdout).toContain('"sub": "svc-1"');
    expect(result.stdout).toMatch(/expires {2}\S+ \(in (59 minutes|1 hour)\)/);
  });

  it('reads the token from stdin with "-", and --json has expired=false', async () => {
    const token = await sign({ sub: 'svc-2' }, Math.floor(Date.now() / 1000) + 120);
    const result = await runCli(['token', 'inspect', '-', '--json'], { input: `${token}\n` });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      verified: false,
      header: { alg: 'HS256' },
      claims: { sub: 'svc-2' },
      expired: false,
    });
  });

  it('an expired token is shown with "ago" and exits 1', async () => {
    const token = await sign({ sub: 'svc-3' }, Math.floor(Date.now() / 1000) - 7200);
    const result = await runCli(['token', 'inspect', token]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/expires {2}\S+ \(2 hours ago\)/);
  });

  it('garbage and JWEs exit 1 without echoing the input', async () => {
    const garbage = await runCli(['token', 'inspect', 'not-a-jwt-but-maybe-a-secret']);
    expect(garbage.code).toBe(1);
    expect(garbage.stderr).toContain('not a JWT');
    expect(garbage.stderr + garbage.stdout).not.toContain('not-a-jwt-but-maybe-a-secret');
    const jwe = await runCli(['token', 'inspect', 'a.b.c.d.e', '--json']);
    expect(jwe.code).toBe(1);
    expect(JSON.parse(jwe.stdout)).toMatchObject({ error: 'not_decodable' });
  });

  it('no token at all is a usage error', async () => {
    const result = await runCli(['token', 'inspect']);
    expect(result.code).toBe(2);
  });
});
