import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CredentialConfigError,
  CredentialManager,
  loadCredentialsObject,
  loadCredentialsYaml,
} from '@warden/sdk/credentials';
import { describe, expect, it } from 'vitest';

const SECRET = 'sup3r-secret-value-never-printed';

function configError(credentials: Record<string, unknown>, env: Record<string, string> = {}): CredentialConfigError {
  try {
    loadCredentialsObject({ credentials }, { env });
  } catch (error) {
    expect(error).toBeInstanceOf(CredentialConfigError);
    return error as CredentialConfigError;
  }
  throw new Error('expected a configuration error');
}

const cc = { type: 'oauth2_client_credentials', token_url: 'https://auth.example.com/token', client_id: 'svc' };
const code = { type: 'oauth2_auth_code', issuer: 'https://auth.example.com', client_id: 'cli' };
const tokens = { type: 'oauth2_tokens', issuer: 'https://auth.example.com', client_id: 'cli' };
const password = { type: 'oauth2_password', token_url: 'https://auth.example.com/token', client_id: 'app' };

/** Every invalid combination: the problem text it must produce, per provider type. */
const INVALID_COMBINATIONS: Array<[string, Record<string, unknown>, RegExp]> = [
  ['no type', { key: SECRET }, /missing type/],
  ['unknown type with a hint', { type: 'api-key', key: SECRET }, /unknown type "api-key" \(did you mean api_key\?\)/],
  ['api_key without key', { type: 'api_key' }, /missing key/],
  [
    'api_key custom without header',
    { type: 'api_key', key: SECRET, scheme: 'custom' },
    /missing header \(scheme is custom\)/,
  ],
  [
    'api_key header with bearer',
    { type: 'api_key', key: SECRET, header: 'X-Key' },
    /extra header \(only for scheme: custom; scheme is bearer\)/,
  ],
  [
    'api_key prefix with x_api_key',
    { type: 'api_key', key: SECRET, scheme: 'x_api_key', prefix: 'Token' },
    /extra prefix/,
  ],
  [
    'api_key unknown scheme',
    { type: 'api_key', key: SECRET, scheme: 'digest' },
    /scheme must be one of bearer \| x_api_key \| basic \| custom/,
  ],
  [
    'api_key bad header name',
    { type: 'api_key', key: SECRET, scheme: 'custom', header: 'X Key' },
    /not a valid HTTP header name/,
  ],
  ['api_key misspelt field', { type: 'api_key', kye: SECRET }, /extra field kye \(did you mean key\?\)/],
  ['basic without password', { type: 'basic', username: 'u' }, /missing password/],
  ['basic colon in username', { type: 'basic', username: 'a:b', password: SECRET }, /must not contain ":"/],
  [
    'cc without endpoint',
    { type: 'oauth2_client_credentials', client_id: 'svc', client_secret: SECRET },
    /missing token_url or issuer/,
  ],
  [
    'cc with both endpoints',
    { ...cc, issuer: 'https://auth.example.com', client_secret: SECRET },
    /either issuer or token_url, not both/,
  ],
  [
    'cc without client_id',
    { type: 'oauth2_client_credentials', token_url: 'https://a.example/t', client_secret: SECRET },
    /missing client_id/,
  ],
  ['cc without secret', { ...cc }, /missing client_secret \(or client_auth: private_key_jwt with private_key\)/],
  [
    'cc private_key_jwt without key',
    { ...cc, client_auth: 'private_key_jwt' },
    /missing private_key or private_key_file/,
  ],
  [
    'cc private_key_jwt with secret',
    { ...cc, client_auth: 'private_key_jwt', private_key: SECRET, client_secret: SECRET },
    /extra client_secret \(client_auth is private_key_jwt\)/,
  ],
  [
    'cc key without private_key_jwt',
    { ...cc, client_secret: SECRET, private_key: SECRET },
    /extra private_key\/private_key_file/,
  ],
  [
    'cc both key sources',
    { ...cc, client_auth: 'private_key_jwt', private_key: SECRET, private_key_file: '/nonexistent/key.pem' },
    /either private_key or private_key_file/,
  ],
  [
    'cc unreadable key file',
    { ...cc, client_auth: 'private_key_jwt', private_key_file: '/nonexistent/key.pem' },
    /private_key_file cannot be read \(ENOENT\)/,
  ],
  ['cc public client', { ...cc, client_auth: 'none' }, /client_auth none is not allowed/],
  [
    'cc http on a remote host',
    { ...cc, token_url: 'http://auth.example.com/token', client_secret: SECRET },
    /http on a non-loopback host/,
  ],
  [
    'cc credentials in URL',
    { ...cc, token_url: 'https://user:pw@auth.example.com/token', client_secret: SECRET },
    /must not contain a username or password/,
  ],
  [
    'cc both refresh plans',
    { ...cc, client_secret: SECRET, refresh_fraction: 0.5, refresh_interval: '5m' },
    /either refresh_fraction or refresh_interval/,
  ],
  [
    'cc bad fraction',
    { ...cc, client_secret: SECRET, refresh_fraction: 1.5 },
    /refresh_fraction must be a number between 0 and 1/,
  ],
  [
    'cc bad duration',
    { ...cc, client_secret: SECRET, refresh_interval: 'soon' },
    /refresh_interval must be a positive duration/,
  ],
  ['password without username', { ...password, password: SECRET }, /missing username/],
  ['password without password', { ...password, username: 'u' }, /missing password/],
  [
    'password bad otp_attempts',
    { ...password, username: 'u', password: SECRET, otp_attempts: 0 },
    /otp_attempts must be a whole number from 1 to 10/,
  ],
  [
    'auth code without endpoints',
    { type: 'oauth2_auth_code', client_id: 'cli' },
    /missing issuer \(or token_url \+ authorization_url\)/,
  ],
  [
    'auth code token_url only',
    { type: 'oauth2_auth_code', client_id: 'cli', token_url: 'https://a.example/t' },
    /missing authorization_url/,
  ],
  ['auth code server without redirect', { ...code, mode: 'server' }, /missing redirect_uri \(mode is server\)/],
  [
    'auth code loopback remote redirect',
    { ...code, redirect_uri: 'https://app.example.com/cb' },
    /must be http on 127.0.0.1/,
  ],
  [
    'auth code public client without pkce',
    { ...code, pkce: false },
    /pkce: false is only allowed for a confidential client/,
  ],
  [
    'auth code server with open_browser',
    { ...code, mode: 'server', redirect_uri: 'https://app.example.com/cb', open_browser: true },
    /extra open_browser/,
  ],
  [
    'tokens access token only',
    { ...tokens, access_token: SECRET },
    /missing refresh_token \(an access_token alone expires and cannot be renewed\)/,
  ],
  [
    'tokens expires_at without access token',
    { ...tokens, refresh_token: SECRET, expires_at: '2030-01-01T00:00:00Z' },
    /extra expires_at/,
  ],
  [
    'tokens bad expires_at',
    { ...tokens, refresh_token: SECRET, access_token: SECRET, expires_at: 'tomorrow' },
    /expires_at must be an ISO 8601/,
  ],
  ['secret too short', { type: 'api_key', key: 'abc' }, /key is too short/],
  ['field of another type', { type: 'basic', username: 'u', password: SECRET, scopes: ['x'] }, /extra field scopes/],
];

describe('configuration validation', () => {
  it.each(INVALID_COMBINATIONS)(
    '%s: one error naming the credential, the problem and the valid combinations',
    (_case, credential, problem) => {
      const error = configError({ broken: credential });
      expect(error.code).toBe('config_invalid');
      expect(error.issues).toHaveLength(1);
      const [issue] = error.issues;
      expect(issue!.credential).toBe('broken');
      expect(issue!.problems.join('; ')).toMatch(problem);
      expect(issue!.validCombinations.length).toBeGreaterThan(0);
      expect(error.message).toContain('credential "broken"');
      expect(error.message).toMatch(/valid combinations for/);
      expect(error.message).not.toContain(SECRET);
      expect(JSON.stringify(error)).not.toContain(SECRET);
    },
  );

  it('lists the valid combinations of the type in the message', () => {
    const error = configError({ billing: { type: 'api_key', key: SECRET, scheme: 'custom' } });
    expect(error.message).toContain('credential "billing" (type api_key): missing header (scheme is custom)');
    expect(error.message).toContain('key + scheme: custom + header (+ optional prefix) -> HEADER: [PREFIX ]KEY');
  });

  it('a field with a bad value is reported once, not also as missing', () => {
    const error = configError({
      orders: {
        type: 'oauth2_client_credentials',
        token_url: 'https://as.example/token',
        client_id: 'c',
        client_secret: 'abc',
      },
    });
    expect(error.issues[0]!.problems).toEqual(['client_secret is too short to be a real secret (under 4 characters)']);
  });

  it('reports every invalid credential at once, and not the valid ones', () => {
    const error = configError({
      good: { type: 'basic', username: 'u', password: SECRET },
      first: { type: 'basic', username: 'u' },
      second: { ...cc },
    });
    expect(error.issues.map((issue) => issue.credential)).toEqual(['first', 'second']);
  });

  it('interpolates ${VAR} and ${VAR:-default}, and names an unset variable with its credential and field', () => {
    const [credential] = loadCredentialsObject(
      { credentials: { billing: { type: 'api_key', key: '${BILLING_KEY}', scheme: '${SCHEME:-x_api_key}' } } },
      { env: { BILLING_KEY: SECRET } },
    );
    expect(credential!.fields['scheme']).toBe('x_api_key');
    const error = configError({ billing: { type: 'api_key', key: '${BILLING_KEY}' } });
    expect(error.issues[0]!.problems).toContain('environment variable BILLING_KEY is not set (for key)');
  });

  it('rejects YAML without credentials, and YAML syntax errors without quoting the line', () => {
    expect(() => loadCredentialsYaml('other: {}')).toThrow(/has no top-level `credentials:` map/);
    const broken = `credentials:\n  a:\n    key: "${SECRET}\n   - [`;
    let message = '';
    try {
      loadCredentialsYaml(broken);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/not valid YAML/);
    expect(message).not.toContain(SECRET);
  });

  it('loads the issue example file and builds the headers of every api_key scheme', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'warden-credentials-'));
    const file = join(directory, 'credentials.yaml');
    await writeFile(
      file,
      [
        'credentials:',
        '  billing:',
        '    type: api_key',
        '    key: ${BILLING_KEY}',
        '    scheme: custom',
        '    header: X-Billing-Key',
        '    prefix: Token',
        '  bearer:',
        '    type: api_key',
        '    key: ${BILLING_KEY}',
        '  xkey:',
        '    type: api_key',
        '    key: ${BILLING_KEY}',
        '    scheme: x_api_key',
        '  basic-key:',
        '    type: api_key',
        '    key: ${BILLING_KEY}',
        '    scheme: basic',
        '  legacy:',
        '    type: basic',
        '    username: svc',
        '    password: ${BILLING_KEY}',
        '  orders:',
        '    type: oauth2_client_credentials',
        '    issuer: https://auth.example.com',
        '    client_id: orders-svc',
        '    client_secret: ${ORDERS_SECRET}',
        '    scopes: [orders.read]',
      ].join('\n'),
    );
    const manager = await CredentialManager.fromFile(file, {
      env: { BILLING_KEY: SECRET, ORDERS_SECRET: 'orders-secret-xyz' },
    });
    try {
      expect(manager.names()).toEqual(['billing', 'bearer', 'xkey', 'basic-key', 'legacy', 'orders']);
      expect(await manager.getHeaders('billing')).toEqual({ 'x-billing-key': `Token ${SECRET}` });
      expect(await manager.getHeaders('bearer')).toEqual({ authorization: `Bearer ${SECRET}` });
      expect(await manager.getHeaders('xkey')).toEqual({ 'x-api-key': SECRET });
      expect(await manager.getHeaders('basic-key')).toEqual({
        authorization: `Basic ${Buffer.from(`${SECRET}:`).toString('base64')}`,
      });
      expect(await manager.getHeaders('legacy')).toEqual({
        authorization: `Basic ${Buffer.from(`svc:${SECRET}`).toString('base64')}`,
      });
      expect(await manager.getToken('billing')).toBe(SECRET);
      await expect(manager.getToken('nope')).rejects.toMatchObject({ code: 'unknown_credential' });
    } finally {
      manager.close();
    }
  });

  it('a missing file is a config_invalid error saying it cannot be read, with the path and the reason', async () => {
    const error = await CredentialManager.fromFile('/nonexistent/credentials.yaml').catch(
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(CredentialConfigError);
    expect(error).toMatchObject({
      code: 'config_invalid',
      message: 'cannot read /nonexistent/credentials.yaml: no such file or directory (ENOENT)',
      issues: [{ credential: '(file)', problems: ['cannot be read: no such file or directory (ENOENT)'] }],
    });
  });
});

describe('unset environment variables', () => {
  it('are reported once per variable, with every field they were meant for, and not again as missing', () => {
    const error = configError({
      orders: {
        type: 'oauth2_client_credentials',
        issuer: 'https://${AS_HOST}',
        audience: 'https://${AS_HOST}/api',
        client_id: '${CLIENT_ID}',
        client_secret: '${CLIENT_SECRET}',
        scopes: ['${SCOPE}', 'orders.read'],
      },
    });
    expect(error.issues[0]!.problems).toEqual([
      'environment variable AS_HOST is not set (for issuer, audience)',
      'environment variable CLIENT_ID is not set (for client_id)',
      'environment variable CLIENT_SECRET is not set (for client_secret)',
      'environment variable SCOPE is not set (for scopes[0])',
    ]);
  });

  it('belong to the credential that uses them, even when one name is a prefix of another', () => {
    const error = configError({
      a: { type: 'api_key', key: SECRET },
      'a.b': { type: 'api_key', key: '${B_KEY}' },
    });
    expect(error.issues.map((issue) => [issue.credential, issue.problems])).toEqual([
      ['a.b', ['environment variable B_KEY is not set (for key)']],
    ]);
  });
});

describe('onInvalidCredential: one invalid credential does not block the others', () => {
  const credentials = {
    good: { type: 'api_key', key: SECRET },
    typo: { type: 'api_key', kye: SECRET },
    unset: { type: 'basic', username: 'u', password: '${UNSET_PASSWORD}' },
  };

  it('the loader returns the valid credentials and hands each invalid one over as its own error', () => {
    const reported: CredentialConfigError[] = [];
    const valid = loadCredentialsObject({ credentials }, { env: {}, onInvalidCredential: (e) => reported.push(e) });
    expect(valid.map((credential) => credential.name)).toEqual(['good']);
    expect(reported.map((error) => error.issues.map((issue) => [issue.credential, issue.problems]))).toEqual([
      [['typo', ['extra field kye (did you mean key?)', 'missing key']]],
      [['unset', ['environment variable UNSET_PASSWORD is not set (for password)']]],
    ]);
    for (const error of reported) {
      expect(error).toMatchObject({ code: 'config_invalid' });
      expect(`${error.message}${JSON.stringify(error)}`).not.toContain(SECRET);
    }
  });

  it('problems of the whole file still fail the load', () => {
    const options = { onInvalidCredential: () => {} };
    expect(() => loadCredentialsYaml('other: {}', options)).toThrow(/has no top-level `credentials:` map/);
    expect(() => loadCredentialsObject({ credentials: ['a'] }, options)).toThrow(/must be a map of name/);
  });

  it('the manager serves the valid ones and throws its own error for an invalid one when it is used', async () => {
    const reported: string[] = [];
    const yaml = [
      'credentials:',
      '  good:',
      '    type: api_key',
      `    key: ${SECRET}`,
      '  typo:',
      '    type: api_key',
      `    kye: ${SECRET}`,
    ].join('\n');
    const manager = CredentialManager.fromYaml(yaml, {
      env: {},
      onInvalidCredential: (error) => reported.push(error.issues[0]!.credential),
    });
    try {
      expect(reported).toEqual(['typo']);
      expect(manager.names()).toEqual(['good']);
      expect(await manager.getToken('good')).toBe(SECRET);
      const failure = await manager.getToken('typo').catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(CredentialConfigError);
      expect(failure).toMatchObject({ code: 'config_invalid', issues: [{ credential: 'typo' }] });
      expect((failure as Error).message).toContain('credential "typo" (type api_key): extra field kye');
      await expect(manager.getToken('nobody')).rejects.toMatchObject({ code: 'unknown_credential' });
    } finally {
      manager.close();
    }
    // Without the option the same file is refused as a whole, as before.
    expect(() => CredentialManager.fromYaml(yaml, { env: {} })).toThrow(CredentialConfigError);
  });
});

describe('docs/credentials.md', () => {
  it('every YAML example with credentials is valid', async () => {
    const { readFile } = await import('node:fs/promises');
    const markdown = await readFile(new URL('../../../docs/credentials.md', import.meta.url), 'utf8');
    const blocks = [...markdown.matchAll(/```yaml\n([\s\S]*?)```/g)]
      .map((match) => match[1]!)
      .filter((block) => block.startsWith('credentials:') && !block.includes('<name>'));
    expect(blocks.length).toBeGreaterThanOrEqual(7);
    // Any ${VAR} resolves to a plausible value; files named in examples do not exist on this machine.
    const env = new Proxy({}, { get: () => 'example-value-0123456789' }) as Record<string, string>;
    for (const block of blocks) {
      try {
        loadCredentialsYaml(block, { env });
      } catch (error) {
        const problems = (error as CredentialConfigError).issues.flatMap((issue) => issue.problems);
        expect(
          problems.every((problem) => problem.startsWith('private_key_file cannot be read')),
          `${problems.join('; ')}\n${block}`,
        ).toBe(true);
      }
    }
  });
});
