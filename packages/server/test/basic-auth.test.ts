import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';
import { testDialects } from './helpers/databases.js';
import { lastCharacterChanged } from './helpers/requests.js';

const dialects = await testDialects();
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const STATIC_KEY = 'static-machine-key-0123456789abcdefXYZ';

/** HTTP Basic on the decision path: an API key or a client secret as the password. */
describe.each(dialects)('HTTP Basic decisions on %s', (dialect) => {
  let t: TestApp;
  let key: string;
  let client: { client_id: string; client_secret: string };

  const ask = (authorization: string, uri = '/x') =>
    t.app.inject({ method: 'GET', url: '/v1/decide', headers: { authorization, 'x-original-uri': uri } });

  beforeAll(async () => {
    t = await startTestApp(dialect, {
      config: {
        api_keys: { static: { [STATIC_KEY]: { subject: 'legacy-box' } } },
        rules: [
          { name: 'basic-only', path: '/basic/**', authenticators: ['basic'] },
          { name: 'keys-only', path: '/keys/**', authenticators: ['api_key'] },
          { name: 'rest', path: '/**', priority: -1 },
        ],
      },
    });
    key = (await t.warden.keys.create({ subject: 'printer', scopes: ['print'] }, { actor: 'test' })).key;
    const created = await t.warden.clients.create(
      { name: 'backup', scopes: ['backup.write'], tenant: 'acme', roles: ['svc'] },
      { actor: 'test' },
    );
    client = { client_id: created.client_id, client_secret: created.client_secret };
  });
  afterAll(() => t.close());

  it('an API key as the password, with any user name, and a static key', async () => {
    for (const user of ['', 'apikey', 'anything']) {
      const response = await ask(basic(user, key));
      expect(response.statusCode, user).toBe(200);
      expect(response.headers['x-auth-subject']).toBe('printer');
      expect(response.headers['x-auth-credential']).toBe('api_key');
    }
    expect((await ask(basic('', STATIC_KEY))).headers['x-auth-subject']).toBe('legacy-box');
    expect((await ask(basic('', lastCharacterChanged(key)))).statusCode).toBe(401);
  });

  it('a client id and secret: the client as a service principal', async () => {
    const response = await ask(basic(client.client_id, client.client_secret));
    expect(response.statusCode).toBe(200);
    expect(response.headers).toMatchObject({
      'x-auth-subject': client.client_id,
      'x-auth-subject-type': 'service',
      'x-auth-tenant': 'acme',
      'x-auth-roles': 'svc',
      'x-auth-scopes': 'backup.write',
      'x-auth-credential': 'basic',
      'x-auth-key-id': client.client_id,
    });
  });

  it('a wrong secret, an unknown client and a disabled client are 401 invalid_credentials, audited as basic', async () => {
    const wrong = await ask(basic(client.client_id, `${client.client_secret}x`));
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().error).toBe('invalid_credentials');
    expect((await ask(basic('AAAAAAAAAAAAAAAA', client.client_secret))).statusCode).toBe(401);
    const other = await t.warden.clients.create({ name: 'gone' }, { actor: 'test' });
    await t.warden.clients.disable(other.client_id);
    expect((await ask(basic(other.client_id, other.client_secret))).statusCode).toBe(401);
    await t.warden.flush();
    const audit = await t.warden.audit.list({ action: 'credential.verify_failed', targetId: client.client_id });
    expect(audit[0]).toMatchObject({ targetType: 'basic', targetId: client.client_id });
    expect(JSON.stringify(audit)).not.toContain(client.client_secret);
  });

  it('malformed Basic credentials are 401 malformed_credentials', async () => {
    for (const value of ['Basic !!!', `Basic ${Buffer.from('no-colon').toString('base64')}`, basic('user', '')]) {
      const response = await ask(value);
      expect(response.statusCode, value).toBe(401);
      expect(response.json().error, value).toBe('malformed_credentials');
    }
  });

  it('a rule names which of Basic and Bearer it takes', async () => {
    expect((await ask(basic('', key), '/basic/a')).statusCode).toBe(200);
    const bearer = await ask(`Bearer ${key}`, '/basic/a');
    expect(bearer.statusCode).toBe(401);
    expect(bearer.json().message).toBe('This resource does not take api_key credentials.');
    expect((await ask(`Bearer ${key}`, '/keys/a')).statusCode).toBe(200);
    const viaBasic = await ask(basic('', key), '/keys/a');
    expect(viaBasic.statusCode).toBe(401);
    expect(viaBasic.json().message).toBe('This resource does not take basic credentials.');
  });
});
