import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';
import { testDialects } from './helpers/databases.js';
import { unknownWellFormedKey } from './helpers/requests.js';

/**
 * Key ids are public and an unknown id costs a storage read that a known one (cached) does not, so a scanner can
 * tell which ids exist (README, Security). What must hold: enumerating ids cannot grow memory, and cannot push
 * the keys in real use out of the cache.
 */
const dialects = await testDialects();

describe.each(dialects)('enumerating key ids on %s', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(dialect, {
      frozenClock: true,
      config: { api_keys: { cache: { max_entries: 50, negative_max_entries: 20 } } },
    });
  });
  afterAll(() => t.close());

  const decide = async (key: string) =>
    (await t.app.inject({ url: '/v1/decide', headers: { authorization: `Bearer ${key}` } })).statusCode;
  const cacheEntries = async () => {
    const text = (await t.app.inject({ url: '/metrics' })).body;
    const read = (kind: string) =>
      Number(new RegExp(`^warden_api_key_cache_entries\\{kind="${kind}"\\} (\\d+)$`, 'm').exec(text)?.[1]);
    return { known: read('known'), unknown: read('unknown') };
  };

  it('300 fresh unknown ids keep at most negative_max_entries of them and evict no known key', async () => {
    const keys: string[] = [];
    for (let i = 0; i < 5; i++) keys.push((await t.warden.keys.create({ subject: `svc-${i}` }, { actor: 'test' })).key);
    // The change poller evicts keys changed in its last few seconds (its look-back); let these age past it.
    t.clock.now += 10_000;
    await t.warden.syncKeyChanges();
    for (const key of keys) expect(await decide(key)).toBe(200);
    expect(await cacheEntries()).toEqual({ known: 5, unknown: 0 });

    for (let i = 0; i < 300; i++) expect(await decide(unknownWellFormedKey())).toBe(401);
    expect(await cacheEntries()).toEqual({ known: 5, unknown: 20 });
    for (const key of keys) expect(await decide(key)).toBe(200);
  });
});
