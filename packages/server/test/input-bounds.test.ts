import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../src/config/errors.js';
import { loadConfig, parseConfig } from '../src/config/load.js';
import { WardenError } from '../src/errors/warden-error.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { tempDir, testDialects } from './helpers/databases.js';

/**
 * SECURITY.md #51: nested input (metadata, bodies) is bounded in depth and size before anything recursive runs:
 * 400 `invalid_request`, never a stack overflow and a 500.
 */
const dialects = await testDialects();

/** `{"a":{"a":...{"a":1}}}` with `levels` objects. */
function nestedObject(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = { a: 1 };
  for (let i = 1; i < levels; i++) value = { a: value };
  return value;
}
function nestedText(levels: number): string {
  return `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
}

describe.each(dialects)('SECURITY.md #51: nested input on %s', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(dialect);
  });
  afterAll(() => t.close());

  const createWithBody = (payload: string) =>
    t.app.inject({
      method: 'POST',
      url: '/v1/admin/keys',
      headers: { authorization: `Bearer ${t.adminKey}`, 'content-type': 'application/json' },
      payload,
    });

  it('admin API: metadata nested 5,000 levels (30 KB) is 400 invalid_request, not a 500', async () => {
    const payload = `{"subject":"deep","metadata":${nestedText(5000)}}`;
    expect(payload.length).toBeGreaterThan(30_000);
    const response = await createWithBody(payload);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ error: 'invalid_request', message: expect.stringMatching(/nests deeper than/) });
  });

  it('admin API: the bounds are inclusive at 32 levels and 8 KiB of metadata; one more is 400 naming the field', async () => {
    const atDepth = await createWithBody(JSON.stringify({ subject: 'deep', metadata: nestedObject(32) }));
    expect(atDepth.statusCode).toBe(201);
    const tooDeep = await createWithBody(JSON.stringify({ subject: 'deep', metadata: nestedObject(33) }));
    expect(tooDeep.statusCode).toBe(400);
    expect(tooDeep.json()).toEqual({ error: 'invalid_request', message: 'body.metadata: must nest at most 32 levels' });

    const filler = (length: number) => ({ text: 'x'.repeat(length - '{"text":""}'.length) });
    const atSize = await createWithBody(JSON.stringify({ subject: 'big', metadata: filler(8192) }));
    expect(atSize.statusCode).toBe(201);
    const tooBig = await createWithBody(JSON.stringify({ subject: 'big', metadata: filler(8193) }));
    expect(tooBig.statusCode).toBe(400);
    expect(tooBig.json()).toEqual({
      error: 'invalid_request',
      message: 'body.metadata: must be at most 8 KiB as JSON',
    });
    // A wide body (many small values) is bounded by the same count, before anything is serialized.
    const wide = await createWithBody(
      JSON.stringify({ subject: 'wide', metadata: { list: new Array(20_000).fill(0) } }),
    );
    expect(wide.statusCode).toBe(400);
  });

  it('programmatic API: deep, cyclic and non-JSON metadata reject with invalid_request, never a RangeError', async () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const metadata of [nestedObject(5000), cyclic, { n: 10n }, { when: new Date(0) }, { n: Number.NaN }]) {
      const attempt = t.warden.keys.create({ subject: 'programmatic', metadata }, { actor: 'test' });
      await expect(attempt).rejects.toBeInstanceOf(WardenError);
      await expect(attempt).rejects.toMatchObject({ code: 'invalid_request', message: /^metadata: / });
    }
  });
});

describe('SECURITY.md #51: nested metadata of static keys in config', () => {
  const key = 'static-key-of-at-least-16-characters';

  it('parseConfig refuses metadata nested 5,000 levels with a ConfigError naming the field', () => {
    const attempt = () =>
      parseConfig({ api_keys: { static: { [key]: { subject: 's', metadata: nestedObject(5000) } } } });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/metadata: must nest at most 32 levels/);
  });

  it('a YAML file with deeply nested metadata is a ConfigError, not a crash', () => {
    const dir = tempDir('warden-bounds');
    writeFileSync(
      join(dir, 'warden.yaml'),
      `api_keys:\n  static:\n    "${key}":\n      subject: s\n      metadata: ${nestedText(2000)}\n`,
    );
    expect(() => loadConfig({}, {}, dir)).toThrow(ConfigError);
  });
});
