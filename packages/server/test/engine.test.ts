import { afterEach, describe, expect, it } from 'vitest';
import { sha256Hex } from '../src/issue/api-key-hash.js';
import { createTestDatabase, testDialects } from './helpers/databases.js';
import { startTestWarden, type TestWarden } from './helpers/engine.js';
import { bearer, requestWith, sameIdOtherSecret } from './helpers/requests.js';

const dialects = await testDialects();

describe.each(dialects)('engine on %s', (dialect) => {
  const started: TestWarden[] = [];
  const start = async (...args: Parameters<typeof startTestWarden>) => {
    const t = await startTestWarden(...args);
    started.push(t);
    return t;
  };
  afterEach(async () => {
    for (const t of started.splice(0)) await t.close();
  });

  it('static keys: plaintext and sha256: entries verify, and a plaintext entry is warned about', async () => {
    const plaintext = 'static-key-for-the-metrics-scraper';
    const hashedSource = 'another-static-key-given-pre-hashed';
    const t = await start(dialect, {
      config: {
        api_keys: {
          static: {
            [plaintext]: { subject: 'scraper', scopes: ['metrics.read'] },
            [`sha256:${sha256Hex(hashedSource)}`]: { subject: 'deployer', admin: true, tenant: 'ops' },
          },
        },
      },
    });
    expect(await t.warden.decide(bearer(plaintext))).toMatchObject({
      allow: true,
      principal: { subject: 'scraper', scopes: ['metrics.read'] },
    });
    expect(await t.warden.decide(requestWith({ 'x-api-key': hashedSource }))).toMatchObject({
      allow: true,
      principal: {
        subject: 'deployer',
        admin: true,
        tenant: 'ops',
        credential: { kind: 'api_key', id: `static:${sha256Hex(hashedSource).slice(0, 12)}` },
      },
    });
    expect(await t.warden.decide(bearer(`${plaintext}x`))).toMatchObject({
      allow: false,
      code: 'malformed_credentials',
    });
    const warning = t.logLines.find((line) => line.includes('plaintext'));
    expect(warning).toBeDefined();
    expect(t.logLines.join('\n')).not.toContain(plaintext);
  });

  it('bootstraps an admin key exactly once per deployment, even with concurrent starts, and not with static keys', async () => {
    const database = await createTestDatabase(dialect);
    const a = await start(dialect, { database });
    const b = await start(dialect, { database });
    const results = await Promise.all([a.warden.bootstrapAdminKey(), b.warden.bootstrapAdminKey()]);
    const issued = results.filter((r) => r !== null);
    expect(issued).toHaveLength(1);
    expect(issued[0]!.record).toMatchObject({ admin: true, subject: 'admin', createdBy: 'bootstrap' });
    expect(await a.warden.bootstrapAdminKey()).toBeNull();
    const withStatic = await start(dialect, {
      config: { api_keys: { static: { 'a-static-admin-key-0123456789': { subject: 'x', admin: true } } } },
    });
    expect(await withStatic.warden.bootstrapAdminKey()).toBeNull();
    await a.warden.close();
    await b.warden.close();
    await database.drop();
  });

  it('writes last_used_at behind in batches, not once per request', async () => {
    const t = await start(dialect, {
      frozenClock: true,
      config: { api_keys: { last_used: { flush_interval: '1h' } } },
    });
    const { key, record } = await t.warden.keys.create({ subject: 'busy' }, { actor: 'test' });
    for (let i = 0; i < 20; i++) {
      t.clock.now += 1000;
      await t.warden.decide(bearer(key));
    }
    const stored = await t.warden.database.db
      .selectFrom('api_keys')
      .select('last_used_at')
      .where('id', '=', record.id)
      .executeTakeFirst();
    expect(stored?.last_used_at).toBeNull(); // nothing written yet: the interval has not passed
    expect((await t.warden.keys.show(record.id)).lastUsedAt).toBe(new Date(t.clock.now).toISOString()); // but shown
    await t.warden.close(); // closing flushes
    const reopened = await startTestWarden(dialect, { database: t.database });
    expect((await reopened.warden.keys.show(record.id)).lastUsedAt).toBe(new Date(t.clock.now).toISOString());
    await reopened.warden.close();
  });

  it('caches verified keys: with storage gone, a cached key still decides, and a wrong secret still fails', async () => {
    const t = await start(dialect);
    const { key } = await t.warden.keys.create({ subject: 'hot' }, { actor: 'test' });
    expect((await t.warden.decide(bearer(key))).allow).toBe(true);
    await t.warden.database.close();
    // Within the invalidation bound the cache is trusted, so no storage read is needed...
    expect((await t.warden.decide(bearer(key))).allow).toBe(true);
    // ...and the secret is still proven against the cached digest on every request.
    expect(await t.warden.decide(bearer(sameIdOtherSecret(key)))).toMatchObject({
      allow: false,
      code: 'invalid_credentials',
    });
  });

  it('refuses to start when the pepper differs from the one the database was first used with', async () => {
    const database = await createTestDatabase(dialect);
    const first = await start(dialect, { database, config: { secrets: { pepper: 'p'.repeat(40) } } });
    await first.warden.close();
    await expect(
      startTestWarden(dialect, { database, config: { secrets: { pepper: 'q'.repeat(40) } } }),
    ).rejects.toThrow(/pepper differs/);
    await database.drop();
  });
});
