import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeyRepository } from '../src/store/api-keys.js';
import { AuditRepository } from '../src/store/audit.js';
import { type Database, openDatabase } from '../src/store/database.js';
import { migrateToLatest, ping } from '../src/store/migrations.js';
import { SettingsRepository } from '../src/store/settings.js';
import { createTestDatabase, type TestDatabase, testDialects } from './helpers/databases.js';
import { apiKeyRecord } from './helpers/records.js';

const dialects = await testDialects();

describe.each(dialects)('storage on %s', (dialect) => {
  let testDb: TestDatabase;
  let database: Database;
  let keys: ApiKeyRepository;

  beforeAll(async () => {
    testDb = await createTestDatabase(dialect);
    database = openDatabase(testDb.url);
    await migrateToLatest(database.db as never, database.dialect);
    keys = new ApiKeyRepository(database.db);
  });
  afterAll(async () => {
    await database.close();
    await testDb.drop();
  });

  it('migrations are idempotent and the store answers', async () => {
    const again = await migrateToLatest(database.db as never, database.dialect);
    expect(again.applied).toEqual([]);
    expect(again.current).toBe('0005_certificate_pins');
    await expect(ping(database.db as never)).resolves.toBeUndefined();
  });

  it('round-trips a key record with every field', async () => {
    const original = apiKeyRecord('roundtrip0001', { expiresAt: 9_000_000_000_000, admin: true, tenant: null });
    await keys.insert(original, 5_000);
    expect(await keys.findById('roundtrip0001')).toEqual(original);
    expect(await keys.findById('doesnotexist')).toBeNull();
  });

  it('lists with filters and cursor paging', async () => {
    const now = 100_000;
    await keys.insert(apiKeyRecord('list00000001', { subject: 'lister', tenant: 'tA' }), now);
    await keys.insert(apiKeyRecord('list00000002', { subject: 'lister', tenant: 'tB', revokedAt: 50 }), now);
    await keys.insert(apiKeyRecord('list00000003', { subject: 'lister', tenant: 'tA', expiresAt: 10 }), now);
    await keys.insert(apiKeyRecord('list00000004', { subject: 'lister', tenant: 'tA', expiresAt: now + 1 }), now);
    const ids = async (filter: object) => (await keys.list({ subject: 'lister', now, ...filter })).map((k) => k.id);
    expect(await ids({})).toEqual(['list00000001', 'list00000002', 'list00000003', 'list00000004']);
    expect(await ids({ status: 'active' })).toEqual(['list00000001', 'list00000004']);
    expect(await ids({ status: 'revoked' })).toEqual(['list00000002']);
    expect(await ids({ status: 'expired' })).toEqual(['list00000003']);
    expect(await ids({ tenant: 'tB' })).toEqual(['list00000002']);
    expect(await ids({ limit: 2 })).toEqual(['list00000001', 'list00000002']);
    expect(await ids({ after: 'list00000002', limit: 2 })).toEqual(['list00000003', 'list00000004']);
  });

  it('revokes once: the first revocation wins', async () => {
    await keys.insert(apiKeyRecord('revoke000001'), 1);
    expect(await keys.revoke('revoke000001', 2_000, 'leaked')).toBe(true);
    expect(await keys.revoke('revoke000001', 3_000, 'again')).toBe(false);
    expect(await keys.revoke('nosuchkey000', 3_000, null)).toBe(false);
    const revoked = await keys.findById('revoke000001');
    expect(revoked).toMatchObject({ revokedAt: 2_000, revokedReason: 'leaked' });
  });

  it('rotates in one transaction and only once', async () => {
    await keys.insert(apiKeyRecord('rotateold001'), 1);
    const replacement = apiKeyRecord('rotatenew001', { rotatedFrom: 'rotateold001' });
    expect(await keys.rotate('rotateold001', replacement, 7_000, 6_000)).toBe(true);
    expect(await keys.findById('rotateold001')).toMatchObject({ rotatedTo: 'rotatenew001', expiresAt: 7_000 });
    expect(await keys.findById('rotatenew001')).toMatchObject({ rotatedFrom: 'rotateold001' });
    expect(await keys.rotate('rotateold001', apiKeyRecord('rotatenew002'), 7_000, 6_500)).toBe(false);
    expect(await keys.findById('rotatenew002')).toBeNull();
  });

  it('reports changes since a time, bounded by a limit (the invalidation feed)', async () => {
    await keys.insert(apiKeyRecord('change000001'), 50_000_000);
    await keys.insert(apiKeyRecord('change000002'), 50_000_100);
    expect(await keys.changedSince(50_000_050, 100)).toEqual(['change000002']);
    await keys.revoke('change000001', 50_000_200, null);
    expect(await keys.changedSince(50_000_150, 100)).toEqual(['change000001']);
    expect((await keys.changedSince(50_000_000, 100)).sort()).toEqual(['change000001', 'change000002']);
    expect(await keys.changedSince(50_000_000, 1)).toHaveLength(1);
  });

  it('writes last-used times in a batch and never moves them backwards', async () => {
    await keys.insert(apiKeyRecord('lastused0001'), 1);
    await keys.insert(apiKeyRecord('lastused0002'), 1);
    await keys.recordLastUsed(
      new Map([
        ['lastused0001', 500],
        ['lastused0002', 700],
      ]),
    );
    await keys.recordLastUsed(new Map([['lastused0001', 400]]));
    expect((await keys.findById('lastused0001'))?.lastUsedAt).toBe(500);
    expect((await keys.findById('lastused0002'))?.lastUsedAt).toBe(700);
    // More keys than one statement carries (500): every one is written.
    const many = Array.from({ length: 1_201 }, (_, i) => `batch${String(i).padStart(7, '0')}`);
    for (const id of many) await keys.insert(apiKeyRecord(id), 1);
    await keys.recordLastUsed(new Map(many.map((id, i) => [id, 1_000 + i])));
    for (const i of [0, 499, 500, 999, 1_000, 1_200])
      expect((await keys.findById(many[i]!))?.lastUsedAt).toBe(1_000 + i);
    // last_used_at is not a change other instances must react to.
    expect(await keys.changedSince(2, 100)).not.toContain('lastused0001');
  });

  it('records and pages audit events newest first', async () => {
    const audit = new AuditRepository(database.db);
    for (let i = 1; i <= 3; i++) {
      await audit.record({
        at: i,
        action: 'api_key.create',
        outcome: 'success',
        targetType: 'api_key',
        targetId: `a${i}`,
        details: { i },
      });
    }
    await audit.record({
      at: 4,
      action: 'credential.verify_failed',
      outcome: 'failure',
      reason: 'invalid_credentials',
      peer: '10.0.0.1',
    });
    const newest = await audit.list({ limit: 2 });
    expect(newest.map((e) => e.action)).toEqual(['credential.verify_failed', 'api_key.create']);
    expect(newest[1]).toMatchObject({ targetId: 'a3', details: { i: 3 }, outcome: 'success' });
    const older = await audit.list({ before: newest[1]!.id, limit: 10 });
    expect(older.map((e) => e.targetId)).toEqual(['a2', 'a1']);
    expect((await audit.list({ targetId: 'a2' })).map((e) => e.at)).toEqual([2]);
  });

  it('settings: the first value set wins', async () => {
    const settings = new SettingsRepository(database.db);
    expect(await settings.get('x')).toBeNull();
    expect(await settings.setIfAbsent('x', 'first')).toBe('first');
    expect(await settings.setIfAbsent('x', 'second')).toBe('first');
    const racers = await Promise.all([settings.setIfAbsent('y', 'a'), settings.setIfAbsent('y', 'b')]);
    expect(racers[0]).toBe(racers[1]);
  });
});
