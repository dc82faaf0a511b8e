import { afterEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';
import { testDialects } from './helpers/databases.js';
import { sameIdOtherSecret, unknownWellFormedKey } from './helpers/requests.js';

/**
 * SECURITY.md #52: one address cannot fill the audit log. Failed verifications are written within three
 * budgets (per credential id, per peer, per instance); what is held back is counted, reported on the next
 * written event of the same budget, and exported as a metric.
 */
const dialects = await testDialects();

describe.each(dialects)('SECURITY.md #52: the failure audit under a flood on %s', (dialect) => {
  let t: TestApp;
  afterEach(() => t.close());

  const decideFrom = async (peer: string, key: string) => {
    const response = await t.app.inject({ url: '/v1/decide', headers: { 'x-api-key': key }, remoteAddress: peer });
    expect(response.statusCode).toBe(401);
  };
  // The largest page the admin API gives, and the most audit.list takes: each flood below writes far fewer rows.
  const failures = async () => t.warden.audit.list({ action: 'credential.verify_failed', limit: 1000 });
  /** Decisions do not wait for their audit writes; the engine's flush does. */
  const settledFailures = async () => {
    await t.warden.flush();
    return failures();
  };
  const suppressedMetric = async () => {
    const text = (await t.app.inject({ url: '/metrics' })).body;
    return Number(/^warden_audit_failures_suppressed_total (\d+)$/m.exec(text)?.[1]);
  };

  it('500 fresh random key ids from one address write failures_per_peer_per_minute rows; the next window reports the rest', async () => {
    t = await startTestApp(dialect, { frozenClock: true });
    const perPeer = t.warden.config.audit.failures_per_peer_per_minute;
    for (let i = 0; i < 500; i++) await decideFrom('203.0.113.9', unknownWellFormedKey());
    const rows = await settledFailures();
    expect(rows).toHaveLength(perPeer);
    expect(rows.every((row) => row.peer === '203.0.113.9' && row.reason === 'invalid_credentials')).toBe(true);
    expect(await suppressedMetric()).toBe(500 - perPeer);

    // Another address still has its own budget.
    await decideFrom('203.0.113.10', unknownWellFormedKey());
    expect(await settledFailures()).toHaveLength(perPeer + 1);

    // A minute later the flooding address writes again, and its first event says how many were held back.
    t.clock.now += 61_000;
    await decideFrom('203.0.113.9', unknownWellFormedKey());
    const [latest] = await settledFailures();
    expect(latest).toMatchObject({ peer: '203.0.113.9', details: { suppressed: { peer: 500 - perPeer } } });
  });

  it('many addresses together stay within failures_per_instance_per_minute', async () => {
    t = await startTestApp(dialect, {
      frozenClock: true,
      config: { audit: { failures_per_peer_per_minute: 5, failures_per_instance_per_minute: 40 } },
    });
    for (let peer = 0; peer < 30; peer++)
      for (let i = 0; i < 6; i++) await decideFrom(`198.51.100.${peer}`, unknownWellFormedKey());
    const rows = await settledFailures();
    expect(rows).toHaveLength(40);
    expect(await suppressedMetric()).toBe(30 * 6 - 40);
    for (const peer of new Set(rows.map((row) => row.peer)))
      expect(rows.filter((row) => row.peer === peer).length).toBeLessThanOrEqual(5);
  });

  it('one key id attacked from many addresses writes failures_per_minute rows for that key', async () => {
    t = await startTestApp(dialect, { frozenClock: true });
    const { key, record } = await t.warden.keys.create({ subject: 'target' }, { actor: 'test' });
    for (let peer = 0; peer < 50; peer++) await decideFrom(`192.0.2.${peer}`, sameIdOtherSecret(key));
    const perKey = t.warden.config.audit.failures_per_minute;
    const rows = await settledFailures();
    expect(rows).toHaveLength(perKey);
    expect(rows.every((row) => row.targetId === record.id)).toBe(true);
  });
});
