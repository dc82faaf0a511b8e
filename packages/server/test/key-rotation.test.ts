import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';
import { testDialects } from './helpers/databases.js';

/** The lifetime of a rotated key: `expiresIn`, else the configured default from now, else the old key's expiry. */
const dialects = await testDialects();
const DAY = 86_400_000;

describe.each(dialects)('rotation and the new key lifetime on %s', (dialect) => {
  let t: TestApp;
  let withDefault: TestApp;
  beforeAll(async () => {
    t = await startTestApp(dialect, { frozenClock: true });
    withDefault = await startTestApp(dialect, {
      frozenClock: true,
      config: { api_keys: { default_expires_in: '7d' } },
    });
  });
  afterAll(async () => {
    await t.close();
    await withDefault.close();
  });

  const rotate = (app: TestApp, id: string, payload: Record<string, unknown>) =>
    app.app.inject({
      method: 'POST',
      url: `/v1/admin/keys/${id}/rotate`,
      headers: { authorization: `Bearer ${app.adminKey}` },
      payload,
    });

  it('expiresIn sets the new key lifetime from now (admin API)', async () => {
    const { record } = await t.warden.keys.create({ subject: 'svc', expiresIn: '2d' }, { actor: 'test' });
    const rotated = await rotate(t, record.id, { expiresIn: '30d' });
    expect(rotated.statusCode).toBe(201);
    expect(rotated.json().record.expiresAt).toBe(new Date(t.clock.now + 30 * DAY).toISOString());
  });

  it("without expiresIn or a configured default, the new key keeps the old key's expiry: never extended", async () => {
    const { record } = await t.warden.keys.create({ subject: 'svc', expiresIn: '2d' }, { actor: 'test' });
    const rotated = await rotate(t, record.id, {});
    expect(rotated.json().record.expiresAt).toBe(record.expiresAt);
  });

  it('with api_keys.default_expires_in, the new key lives that long from now', async () => {
    const { record } = await withDefault.warden.keys.create({ subject: 'svc' }, { actor: 'test' });
    withDefault.clock.now += 3 * DAY;
    const rotated = await withDefault.warden.keys.rotate(record.id, {}, { actor: 'test' });
    expect(rotated.record.expiresAt).toBe(new Date(withDefault.clock.now + 7 * DAY).toISOString());
  });

  it('a malformed expiresIn is 400 invalid_request naming the field', async () => {
    const { record } = await t.warden.keys.create({ subject: 'svc' }, { actor: 'test' });
    const rotated = await rotate(t, record.id, { expiresIn: '90days' });
    expect(rotated.statusCode).toBe(400);
    expect(rotated.json()).toEqual({
      error: 'invalid_request',
      message: 'body.expiresIn: must be a positive duration like 30m, 12h, 90d or 2w',
    });
  });
});
