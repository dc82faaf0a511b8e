import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';
import { testDialects } from './helpers/databases.js';
import { bearer, sameIdOtherSecret } from './helpers/requests.js';

/**
 * The verified-credential cache: a key proven in full once is found again by the digest of what was presented,
 * skipping parsing, lookup and HMAC. It must never outlive a change of its key, never accept another secret,
 * and never stand in for requirements it was not checked against (SECURITY.md #31).
 */
const dialects = await testDialects();

describe.each(dialects)('the verified-credential cache on %s', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(dialect, { frozenClock: true });
  });
  afterAll(() => t.close());

  const verifiedEntries = async () => {
    const text = (await t.app.inject({ url: '/metrics' })).body;
    return Number(/^warden_api_key_cache_entries\{kind="verified"\} (\d+)$/m.exec(text)?.[1]);
  };
  /** A key whose record is old enough that the change poller's look-back no longer evicts it. */
  const settledKey = async (input: Parameters<TestApp['warden']['keys']['create']>[0]) => {
    const issued = await t.warden.keys.create(input, { actor: 'test' });
    t.clock.now += 10_000;
    await t.warden.syncKeyChanges();
    return issued;
  };

  it('a repeated key is answered from the verified cache: synchronously, no promise', async () => {
    const { key } = await settledKey({ subject: 'hot' });
    const before = await verifiedEntries();
    expect(await t.warden.decide(bearer(key))).toMatchObject({ allow: true });
    expect(await verifiedEntries()).toBe(before + 1);
    const now = t.warden.decideNow(bearer(key));
    expect(now).not.toBeInstanceOf(Promise);
    expect(now).toMatchObject({ allow: true, principal: { subject: 'hot' } });
  });

  it('another secret for the same key id is proven in full and refused, never served from the cache', async () => {
    const { key } = await settledKey({ subject: 'hot-2' });
    expect(await t.warden.decide(bearer(key))).toMatchObject({ allow: true });
    expect(await t.warden.decide(bearer(sameIdOtherSecret(key)))).toMatchObject({ code: 'invalid_credentials' });
  });

  it('revocation evicts it at once', async () => {
    const { key, record } = await settledKey({ subject: 'to-revoke' });
    const first = t.warden.decideNow(bearer(key));
    expect(first).toBeInstanceOf(Promise); // first sight: the record is read and the key proven in full
    expect(await first).toMatchObject({ allow: true });
    expect(t.warden.decideNow(bearer(key))).toMatchObject({ allow: true });
    await t.warden.keys.revoke(record.id, {}, { actor: 'test' });
    expect(await t.warden.decide(bearer(key))).toMatchObject({ allow: false, code: 'revoked' });
  });

  it('rotation without overlap evicts the old key at once; the new one is allowed', async () => {
    const { key, record } = await settledKey({ subject: 'to-rotate' });
    expect(await t.warden.decide(bearer(key))).toMatchObject({ allow: true });
    const rotated = await t.warden.keys.rotate(record.id, {}, { actor: 'test' });
    expect(await t.warden.decide(bearer(key))).toMatchObject({ allow: false, code: 'expired' });
    expect(await t.warden.decide(bearer(rotated.key))).toMatchObject({ allow: true });
  });

  it('expiry is checked on every hit', async () => {
    const { key } = await settledKey({ subject: 'expiring', expiresIn: '2m' });
    expect(await t.warden.decide(bearer(key))).toMatchObject({ allow: true });
    expect(t.warden.decideNow(bearer(key))).toMatchObject({ allow: true });
    // Past the expiry, within the cache TTL, with the invalidation feed fresh: the hit itself refuses.
    t.clock.now += 2 * 60_000;
    await t.warden.syncKeyChanges();
    expect(t.warden.decideNow(bearer(key))).toMatchObject({ allow: false, code: 'expired' });
  });

  it('SECURITY.md #31: a key verified under one set of requirements never satisfies another', async () => {
    const { key } = await settledKey({ subject: 'scoped', scopes: ['orders.read'] });
    expect(await t.warden.decide(bearer(key), { scopes: ['orders.read'] })).toMatchObject({ allow: true });
    expect(t.warden.decideNow(bearer(key), { scopes: ['orders.read'] })).toMatchObject({ allow: true });
    expect(t.warden.decideNow(bearer(key), { scopes: ['orders.write'] })).toMatchObject({
      allow: false,
      code: 'insufficient_scope',
    });
    expect(t.warden.decideNow(bearer(key), { admin: true })).toMatchObject({ allow: false, code: 'forbidden' });
    expect(t.warden.decideNow(bearer(key), [{ scopes: ['orders.read'] }, { anyRole: ['ops'] }])).toMatchObject({
      allow: false,
      code: 'forbidden',
    });
  });
});
