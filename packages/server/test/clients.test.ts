import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AssertionReplayRepository } from '../src/clients/assertion-replay.js';
import { ClientAssertionVerifier } from '../src/clients/client-assertion.js';
import { ClientAuthenticator, type PresentedClient } from '../src/clients/client-authentication.js';
import { OAuthClientRepository, type StoredSecret } from '../src/clients/repository.js';
import { clientSecretMatches, mintClientSecret } from '../src/clients/secrets.js';
import { LABEL_RULE, ROLE_NAME_RULE, SCOPE_TOKEN_RULE } from '../src/identity/names.js';
import { loadServerSecrets } from '../src/issue/server-secrets.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { testDialects } from './helpers/databases.js';
import { lastCharacterChanged } from './helpers/requests.js';

const dialects = await testDialects();

/** The OAuth 2.0 clients capability through the admin API and on the store, on SQLite and PostgreSQL. */
describe.each(dialects)('OAuth clients on %s', (dialect) => {
  let t: TestApp;
  const admin = () => ({ authorization: `Bearer ${t.adminKey}` });
  const pepper = () => loadServerSecrets(t.warden.config.secrets, t.warden.config.data_dir).pepper;
  const rowOf = (id: string) =>
    t.warden.database.db.selectFrom('oauth_clients').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const create = (payload: Record<string, unknown>) =>
    t.app.inject({ method: 'POST', url: '/v1/admin/clients', headers: admin(), payload });

  beforeAll(async () => {
    t = await startTestApp(dialect, { frozenClock: true, background: false });
  });
  afterAll(() => t.close());

  it('needs an admin principal (401 without one, 403 for a plain key)', async () => {
    const none = await t.app.inject({ method: 'GET', url: '/v1/admin/clients' });
    expect(none.statusCode).toBe(401);
    const { key } = await t.warden.keys.create({ subject: 'plain' }, { actor: 'test' });
    const plain = await t.app.inject({ method: 'POST', url: '/v1/admin/clients', headers: { 'x-api-key': key } });
    expect(plain.statusCode).toBe(403);
  });

  it('creates a client: the secret once (256 bits), the store only its HMAC-SHA256 digest with the pepper', async () => {
    const created = await create({
      name: 'orders service',
      scopes: ['orders.read', 'orders.write', 'orders.read'],
      audiences: ['orders', 'https://orders.example.com'],
      tenant: 'acme',
      roles: ['svc'],
      tokenTtl: '5m',
      metadata: { team: 'payments' },
    });
    expect(created.statusCode).toBe(201);
    expect(created.headers['cache-control']).toBe('no-store');
    const { client_id, client_secret, client } = created.json();
    expect(client_id).toMatch(/^[0-9A-Za-z]{16}$/);
    // 43 base62 characters: 43 * log2(62) = 256.03 bits.
    expect(client_secret).toMatch(/^[0-9A-Za-z]{43}$/);
    expect(client).toEqual({
      id: client_id,
      name: 'orders service',
      status: 'active',
      jwks: null,
      authMethod: 'client_secret_basic',
      grantTypes: ['client_credentials'],
      scopes: ['orders.read', 'orders.write'],
      audiences: ['orders', 'https://orders.example.com'],
      tenant: 'acme',
      roles: ['svc'],
      admin: false,
      introspect: false,
      tokenTtlSeconds: 300,
      metadata: { team: 'payments' },
      createdAt: new Date(t.clock.now).toISOString(),
      createdBy: 'root',
      disabledAt: null,
      updatedAt: new Date(t.clock.now).toISOString(),
      previousSecretExpiresAt: null,
    });

    const row = await rowOf(client_id);
    expect(row.secret_hash).toBe(
      createHmac('sha256', pepper()).update(row.secret_salt!).update(client_secret).digest('hex'),
    );
    expect(JSON.stringify(row)).not.toContain(client_secret);

    // Never the secret, salt or digest again: show, list, audit.
    const shown = await t.app.inject({ method: 'GET', url: `/v1/admin/clients/${client_id}`, headers: admin() });
    expect(shown.json()).toEqual(client);
    const listed = await t.app.inject({ method: 'GET', url: '/v1/admin/clients', headers: admin() });
    const audit = await t.app.inject({ method: 'GET', url: '/v1/admin/audit', headers: admin() });
    for (const text of [shown.body, listed.body, audit.body]) {
      for (const secretPart of [client_secret, row.secret_hash!, row.secret_salt!])
        expect(text).not.toContain(secretPart);
    }
    expect(audit.json().items[0]).toMatchObject({
      action: 'oauth_client.create',
      actor: 'root',
      targetType: 'oauth_client',
      targetId: client_id,
    });
  });

  it('holds names, scopes, roles and audiences to their rules; the message names the field, never the value', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ name: 'x', scopes: ['orders read'] }, `scopes.0: ${SCOPE_TOKEN_RULE}`],
      [{ name: 'x', roles: ['x,admin'] }, `roles.0: ${ROLE_NAME_RULE}`],
      [{ name: ' padded' }, `name: ${LABEL_RULE}`],
      [{ name: 'x', tenant: 'a\nb' }, `tenant: ${LABEL_RULE}`],
      [
        { name: 'x', audiences: ['two words'] },
        'audiences.0: must be 1-200 of visible ASCII except " and \\ (no space)',
      ],
      [{ name: 'x', grantTypes: ['password'] }, 'grantTypes.0'],
      [{ name: 'x', grantTypes: [] }, 'grantTypes'],
      [{ name: 'x', authMethod: 'none' }, 'authMethod'],
      [{ name: 'x', tokenTtl: '500ms' }, 'tokenTtl: must be a duration of at least 1s'],
      [{ name: 'x', tokenTtl: '2d' }, 'tokenTtl: must be at most 1d (signing_keys.retain_after_retire)'],
      [{ name: 'x', secret: 'chosen' }, 'unknown field(s) secret'],
    ];
    for (const [payload, message] of cases) {
      const answer = await create(payload);
      expect(answer.statusCode, JSON.stringify(payload)).toBe(400);
      expect(answer.json().error).toBe('invalid_request');
      expect(answer.json().message).toContain(message);
      expect(answer.body).not.toContain('orders read');
      expect(answer.body).not.toContain('x,admin');
    }
  });

  it('rotates the secret: the old one works for the overlap, then stops; a rotation without overlap stops it at once', async () => {
    const { client_id: id, client_secret: first } = (await create({ name: 'rotating' })).json();
    const repository = new OAuthClientRepository(t.warden.database.db);
    const matches = async (secret: string) => {
      const client = (await repository.findById(id))!;
      const previous = client.previousSecret && client.previousSecret.expiresAt > t.clock.now;
      return {
        current: clientSecretMatches(pepper(), client.secret!, secret),
        previous: previous ? clientSecretMatches(pepper(), client.previousSecret!, secret) : false,
      };
    };

    const rotated = await t.app.inject({
      method: 'POST',
      url: `/v1/admin/clients/${id}/rotate-secret`,
      headers: admin(),
      payload: { overlap: '1h' },
    });
    expect(rotated.statusCode).toBe(201);
    expect(rotated.headers['cache-control']).toBe('no-store');
    const { client_secret: second, client } = rotated.json();
    expect(second).not.toBe(first);
    expect(client.previousSecretExpiresAt).toBe(new Date(t.clock.now + 3_600_000).toISOString());
    expect(await matches(first)).toEqual({ current: false, previous: true });
    expect(await matches(second)).toEqual({ current: true, previous: false });

    const again = await t.warden.clients.rotateSecret(id, {}, { actor: 'test' });
    expect(again.client.previousSecretExpiresAt).toBeNull();
    expect(await matches(second)).toEqual({ current: false, previous: false });
    expect(await matches(first)).toEqual({ current: false, previous: false });

    const audit = await t.warden.audit.list({ action: 'oauth_client.rotate_secret', targetId: id });
    expect(audit.map((event) => event.details)).toEqual([
      { overlapMs: 0, previousSecretExpiresAt: null },
      { overlapMs: 3_600_000, previousSecretExpiresAt: t.clock.now + 3_600_000 },
    ]);
    expect(JSON.stringify(audit)).not.toContain(first);
    expect(JSON.stringify(audit)).not.toContain(second);
  });

  it('a secret replaced meanwhile is not overwritten: the repository compares and sets', async () => {
    const { client_id: id } = (await create({ name: 'raced' })).json();
    const repository = new OAuthClientRepository(t.warden.database.db);
    const read = (await repository.findById(id))!;
    const next = mintClientSecret(pepper()).stored;
    expect(await repository.replaceSecret(id, read.secret!, next, null, t.clock.now)).toBe(true);
    // A second writer that read the same row before the first wrote: refused, the first one's secret stays.
    const late = mintClientSecret(pepper()).stored;
    expect(await repository.replaceSecret(id, read.secret!, late, null, t.clock.now)).toBe(false);
    expect((await repository.findById(id))!.secret).toEqual(next);
    expect(await repository.replaceSecret('no-such-client00', read.secret!, late, null, t.clock.now)).toBe(false);
  });

  it('disables, enables and deletes, each audited once; repeating one is a conflict, an unknown id not found', async () => {
    const { client_id: id } = (await create({ name: 'lifecycle' })).json();
    const post = (action: string) =>
      t.app.inject({ method: 'POST', url: `/v1/admin/clients/${id}/${action}`, headers: admin() });

    const disabled = await post('disable');
    expect(disabled.statusCode).toBe(200);
    expect(disabled.json()).toMatchObject({ status: 'disabled', disabledAt: new Date(t.clock.now).toISOString() });
    expect((await post('disable')).json()).toMatchObject({ error: 'conflict' });
    const onlyDisabled = await t.app.inject({
      method: 'GET',
      url: '/v1/admin/clients?status=disabled',
      headers: admin(),
    });
    expect(onlyDisabled.json().items.map((item: { id: string }) => item.id)).toEqual([id]);

    expect((await post('enable')).json()).toMatchObject({ status: 'active', disabledAt: null });
    expect((await post('enable')).statusCode).toBe(409);

    const deleted = await t.app.inject({ method: 'DELETE', url: `/v1/admin/clients/${id}`, headers: admin() });
    expect(deleted.statusCode).toBe(200);
    expect(deleted.json()).toMatchObject({ id, name: 'lifecycle' });
    for (const answer of [
      await t.app.inject({ method: 'GET', url: `/v1/admin/clients/${id}`, headers: admin() }),
      await t.app.inject({ method: 'DELETE', url: `/v1/admin/clients/${id}`, headers: admin() }),
      await post('disable'),
    ]) {
      expect(answer.statusCode).toBe(404);
      expect(answer.json()).toEqual({ error: 'not_found', message: `no client with id "${id}"` });
    }
    const actions = (await t.warden.audit.list({ targetId: id })).map((event) => event.action).reverse();
    expect(actions).toEqual([
      'oauth_client.create',
      'oauth_client.disable',
      'oauth_client.enable',
      'oauth_client.delete',
    ]);
  });

  it('lists in pages by id, with the cursor of a full page', async () => {
    const ids = [];
    for (const name of ['page-a', 'page-b', 'page-c']) ids.push((await create({ name })).json().client_id as string);
    const all: string[] = [];
    let after: string | null = null;
    do {
      const url: string = `/v1/admin/clients?limit=2${after ? `&after=${after}` : ''}`;
      const page = (await t.app.inject({ method: 'GET', url, headers: admin() })).json();
      all.push(...page.items.map((item: { id: string }) => item.id));
      after = page.next;
    } while (after !== null);
    expect(all).toEqual([...all].sort());
    for (const id of ids) expect(all).toContain(id);
  });

  it('is in the OpenAPI document', async () => {
    const { paths } = (await t.app.inject({ method: 'GET', url: '/v1/openapi.json' })).json();
    expect(Object.keys(paths['/v1/admin/clients'])).toEqual(['post', 'get']);
    expect(Object.keys(paths['/v1/admin/clients/{id}'])).toEqual(['get', 'delete']);
    for (const action of ['rotate-secret', 'disable', 'enable'])
      expect(paths[`/v1/admin/clients/{id}/${action}`]).toBeDefined();
  });

  describe('client authentication (the token endpoint uses it)', () => {
    /** The real authenticator, its secret comparisons counted. */
    function countingAuthenticator() {
      let comparisons = 0;
      const repository = new OAuthClientRepository(t.warden.database.db);
      const authenticator = new ClientAuthenticator({
        repository,
        pepper: pepper(),
        now: () => t.clock.now,
        assertions: new ClientAssertionVerifier({
          repository,
          replay: new AssertionReplayRepository(t.warden.database.db),
          audiences: [],
          clockToleranceSeconds: 0,
          now: () => t.clock.now,
        }),
        secretMatches: (stored: StoredSecret, presented: string) => {
          comparisons += 1;
          return clientSecretMatches(pepper(), stored, presented);
        },
      });
      return {
        async attempt(presented: PresentedClient) {
          comparisons = 0;
          const result = await authenticator.authenticate(presented);
          return { result, comparisons };
        },
      };
    }

    it('costs two digest comparisons whatever is presented: unknown or malformed id, wrong secret, disabled', async () => {
      const { client_id: id, client_secret: secret } = (await create({ name: 'timing' })).json();
      const { client_id: disabledId, client_secret: disabledSecret } = (await create({ name: 'off' })).json();
      await t.warden.clients.disable(disabledId, { actor: 'test' });
      const { attempt } = countingAuthenticator();
      const basic = (clientId: string, presentedSecret: string): PresentedClient => ({
        method: 'client_secret_basic',
        clientId,
        secret: presentedSecret,
      });
      const failed = { ok: false, reason: 'invalid_credentials', message: 'Client authentication failed.' };

      expect(await attempt(basic('UnknownClient123', secret))).toEqual({
        result: { ...failed, clientId: 'UnknownClient123' },
        comparisons: 2,
      });
      expect(await attempt(basic('not a client id', secret))).toEqual({
        result: { ...failed, clientId: null },
        comparisons: 2,
      });
      expect(await attempt(basic(id, lastCharacterChanged(secret)))).toEqual({
        result: { ...failed, clientId: id },
        comparisons: 2,
      });
      // Proven before the state is looked at: only the secret's holder learns the client is disabled.
      expect(await attempt(basic(disabledId, 'wrong'))).toEqual({
        result: { ...failed, clientId: disabledId },
        comparisons: 2,
      });
      expect(await attempt(basic(disabledId, disabledSecret))).toMatchObject({
        result: { ok: false, reason: 'client_disabled' },
        comparisons: 2,
      });
      expect(await attempt({ method: 'client_secret_post', clientId: id, secret })).toMatchObject({
        result: { ok: false, reason: 'auth_method_mismatch' },
        comparisons: 2,
      });
      expect(await attempt(basic(id, secret))).toMatchObject({ result: { ok: true }, comparisons: 2 });
    });
  });
});
