import { createHmac } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import express from 'express';
import Fastify from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/http/app.js';
import { wardenExpress } from '../src/integrations/express.js';
import { wardenFastify } from '../src/integrations/fastify.js';
import { generateApiKey } from '../src/issue/api-key-format.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { createTestDatabase, testDialects } from './helpers/databases.js';
import { startTestWarden } from './helpers/engine.js';
import { bearer, flipOneCharacter, requestWith, sameIdOtherSecret } from './helpers/requests.js';

const dialects = await testDialects();
const SRC = join(import.meta.dirname, '..', 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

describe.each(dialects)('SECURITY.md on %s', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(dialect);
  });
  afterAll(() => t.close());

  it('SECURITY.md #32: a key with one flipped character is rejected by the checksum with zero database reads', async () => {
    const { key } = await t.warden.keys.create({ subject: 'checksum' }, { actor: 'test' });
    // Proof by construction: with storage gone, a storage read would fail closed with 503.
    const isolated = await startTestWarden(dialect);
    const issued = await isolated.warden.keys.create({ subject: 'iso' }, { actor: 'test' });
    await isolated.warden.database.close();
    const flipped = await isolated.warden.decide(bearer(flipOneCharacter(issued.key)));
    expect(flipped).toMatchObject({ allow: false, status: 401, code: 'malformed_credentials' });
    const wellFormedUnknown = await isolated.warden.decide(bearer(sameIdOtherSecret(key)));
    expect(wellFormedUnknown).toMatchObject({ allow: false, status: 503, code: 'unavailable' });
    await isolated.warden.close();
    await isolated.database.drop();
  });

  it('SECURITY.md #33: the store holds only HMAC-SHA256 digests with the pepper; the plaintext is shown once', async () => {
    const { key, record } = await t.warden.keys.create({ subject: 'stored' }, { actor: 'test' });
    const secret = key.split('_')[2]!.slice(0, 22);
    const rows = await sql<Record<string, unknown>>`select * from api_keys where id = ${record.id}`.execute(
      t.warden.database.db,
    );
    const row = rows.rows[0]!;
    const everything = JSON.stringify(row);
    expect(everything).not.toContain(secret);
    expect(everything).not.toContain(key);
    const pepper = readFileSync(join(t.database.dataDir, 'pepper'), 'utf8').trim();
    const expected = createHmac('sha256', pepper).update(String(row.salt)).update(secret).digest('hex');
    expect(row.secret_hash).toBe(expected);
    // Shown once: no later read returns it.
    expect(JSON.stringify(await t.warden.keys.show(record.id))).not.toContain(secret);
    expect(JSON.stringify(await t.warden.keys.list({}))).not.toContain(secret);
  });

  it('SECURITY.md #34: secrets are compared in constant time, in one helper, never with === or !==', () => {
    const offenders: string[] = [];
    for (const file of sourceFiles(SRC)) {
      const text = readFileSync(file, 'utf8');
      for (const line of text.split('\n')) {
        if (
          /(secret|digest|hash|pepper)\w*\s*[!=]==|[!=]==\s*\w*(secret|digest|hash)/i.test(line) &&
          !/length|undefined|null/.test(line)
        ) {
          offenders.push(`${file}: ${line.trim()}`);
        }
      }
    }
    expect(offenders).toEqual([]);
    const hashing = readFileSync(join(SRC, 'issue', 'api-key-hash.ts'), 'utf8');
    expect(hashing).toContain('constantTimeEqual(');
    const staticKeys = readFileSync(join(SRC, 'authn', 'static-api-key.ts'), 'utf8');
    expect(staticKeys).toContain('constantTimeEqual(');
  });

  it('SECURITY.md #35: expired, revoked and rotated-out keys are 401 on every instance within the published bound (1 s)', async () => {
    const database = await createTestDatabase(dialect);
    const a = await startTestWarden(dialect, { database });
    const b = await startTestWarden(dialect, { database });
    try {
      const issued = await a.warden.keys.create({ subject: 'shared' }, { actor: 'test' });
      const expiring = await a.warden.keys.create(
        { subject: 'short', expiresAt: new Date(Date.now() + 1500).toISOString() },
        { actor: 'test' },
      );
      // Warm instance B's cache, so only invalidation can make it deny.
      expect((await b.warden.decide(bearer(issued.key))).allow).toBe(true);
      expect((await b.warden.decide(bearer(expiring.key))).allow).toBe(true);

      await a.warden.keys.revoke(issued.record.id, {}, { actor: 'test' });
      const revokedAt = Date.now();
      let decision = await b.warden.decide(bearer(issued.key));
      while (decision.allow && Date.now() - revokedAt < 3000) {
        await new Promise((resolve) => setTimeout(resolve, 25));
        decision = await b.warden.decide(bearer(issued.key));
      }
      const took = Date.now() - revokedAt;
      expect(decision).toMatchObject({ allow: false, code: 'revoked' });
      expect(took).toBeLessThan(1000);

      // Expiry needs no invalidation: the cached record carries its expiry.
      while (Date.now() < Date.parse(expiring.record.expiresAt!))
        await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await b.warden.decide(bearer(expiring.key))).toMatchObject({ allow: false, code: 'expired' });
    } finally {
      await a.warden.close();
      await b.warden.close();
      await database.drop();
    }
  });

  it('SECURITY.md #35: create, rotate, revoke and failed use are audited, without secrets', async () => {
    const { key, record } = await t.warden.keys.create({ subject: 'audit-me' }, { actor: 'alice' });
    const rotated = await t.warden.keys.rotate(record.id, { overlap: '1m' }, { actor: 'alice' });
    await t.warden.keys.revoke(rotated.record.id, { reason: 'done' }, { actor: 'bob' });
    await t.warden.decide(requestWith({ 'x-api-key': rotated.key }, { peer: '192.0.2.9' }));
    await t.warden.flush();
    const events = await t.warden.audit.list({ limit: 50 });
    const mine = events.filter((e) => e.targetId === record.id || e.targetId === rotated.record.id);
    expect(mine.map((e) => `${e.action}:${e.actor ?? ''}`)).toEqual([
      'credential.verify_failed:',
      'api_key.revoke:bob',
      'api_key.rotate:alice',
      'api_key.create:alice',
    ]);
    expect(mine[0]).toMatchObject({ reason: 'revoked', peer: '192.0.2.9' });
    const dump = JSON.stringify(events);
    for (const secret of [key, rotated.key, key.split('_')[2]!, rotated.key.split('_')[2]!])
      expect(dump).not.toContain(secret);
  });

  it('SECURITY.md #48: the decision always sets every identity header, so client-sent ones are overwritten', async () => {
    const { key } = await t.warden.keys.create({ subject: 'real' }, { actor: 'test' });
    const response = await t.app.inject({
      url: '/v1/decide',
      headers: {
        'x-api-key': key,
        'x-auth-subject': 'admin',
        'x-auth-admin': 'true',
        'x-auth-tenant': 'victim',
        x_auth_subject: 'root',
      },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-auth-subject']).toBe('real');
    expect(response.headers['x-auth-admin']).toBe('false');
    expect(response.headers['x-auth-tenant']).toBe('');
    expect(response.headers['x-auth-key-id']).not.toBe('');
    expect(response.headers).not.toHaveProperty('x_auth_subject');
  });

  it('SECURITY.md #48: in-process middleware strips client-sent X-Auth-* and X_Auth_* before the handler runs', async () => {
    const { key } = await t.warden.keys.create({ subject: 'svc' }, { actor: 'test' });
    const sent = { 'x-api-key': key, 'X-Auth-Subject': 'admin', X_Auth_Admin: 'true', 'x-auth-roles': 'root' };

    const fastifyApp = Fastify();
    await fastifyApp.register(wardenFastify(t.warden));
    fastifyApp.get('/echo', async (request) => ({ headers: request.headers, subject: request.principal?.subject }));
    const fromFastify = (await fastifyApp.inject({ url: '/echo', headers: sent })).json();
    expect(fromFastify.subject).toBe('svc');
    expect(Object.keys(fromFastify.headers).filter((h) => /auth[-_]/i.test(h))).toEqual([]);
    await fastifyApp.close();

    const expressApp = express();
    expressApp.use(wardenExpress(t.warden));
    expressApp.get('/echo', (request, response) => {
      response.json({
        headers: request.headers,
        subject: (request as { principal?: { subject: string } }).principal?.subject,
      });
    });
    const server = expressApp.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const port = (server.address() as { port: number }).port;
    const fromExpress = (await (await fetch(`http://127.0.0.1:${port}/echo`, { headers: sent })).json()) as {
      headers: Record<string, string>;
      subject: string;
    };
    server.close();
    expect(fromExpress.subject).toBe('svc');
    expect(Object.keys(fromExpress.headers).filter((h) => /auth[-_]/i.test(h))).toEqual([]);
  });

  it('SECURITY.md #49: missing credentials are 401 and storage down is 503, never 200', async () => {
    // The cache stays trusted for 2 s (4 poll intervals) after the last successful poll: long enough that the
    // checks right after the store goes down run inside it even on a loaded machine, short enough to wait out.
    const isolated = await startTestWarden(dialect, {
      config: { api_keys: { invalidation: { poll_interval: '500ms' } } },
    });
    const app = buildApp(isolated.warden);
    const { key } = await isolated.warden.keys.create({ subject: 'cached', admin: true }, { actor: 'test' });
    expect((await app.inject({ url: '/v1/decide', headers: { 'x-api-key': key } })).statusCode).toBe(200);
    await isolated.warden.database.close();

    expect((await app.inject({ url: '/v1/decide' })).statusCode).toBe(401);
    const uncached = await app.inject({ url: '/v1/decide', headers: { 'x-api-key': sameIdOtherSecret(key) } });
    expect(uncached.statusCode).toBe(401); // same id: served from the cache, and the secret does not match
    const unknown = await app.inject({
      url: '/v1/decide',
      headers: { authorization: `Bearer ${generateApiKey('wdn').key}` },
    });
    expect(unknown.statusCode).toBe(503);
    const adminWrite = await app.inject({
      method: 'POST',
      url: '/v1/admin/keys',
      headers: { 'x-api-key': key },
      payload: { subject: 'x' },
    });
    expect(adminWrite.statusCode).toBe(503);

    // A cached key is trusted only while the invalidation feed is alive: after it stops, fail closed.
    const deadline = Date.now() + 6000;
    let status = 200;
    while (status === 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = (await app.inject({ url: '/v1/decide', headers: { 'x-api-key': key } })).statusCode;
    }
    expect(status).toBe(503);
    const denied = await app.inject({ url: '/v1/decide', headers: { 'x-api-key': key } });
    expect(denied.json()).toEqual({ error: 'unavailable', message: 'Authentication is temporarily unavailable.' });
    expect(denied.headers['retry-after']).toBe('1');
    expect((await app.inject({ url: '/readyz' })).statusCode).toBe(503);
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
    await app.close();
    await isolated.warden.close();
    await isolated.database.drop();
  });

  it('no secret appears in any log line or audit record across a full key lifecycle', async () => {
    const isolated = await startTestWarden(dialect);
    const app = buildApp(isolated.warden);
    const admin = await isolated.warden.keys.create({ subject: 'root', admin: true }, { actor: 'test' });
    const secrets: string[] = [admin.key];
    const headers = { authorization: `Bearer ${admin.key}` };
    const created = (
      await app.inject({ method: 'POST', url: '/v1/admin/keys', headers, payload: { subject: 'life' } })
    ).json();
    secrets.push(created.key);
    await app.inject({ url: '/v1/decide', headers: { 'x-api-key': created.key } });
    await app.inject({ url: '/v1/decide', headers: { 'x-api-key': sameIdOtherSecret(created.key) } });
    await app.inject({ url: '/v1/decide', headers: { 'x-api-key': flipOneCharacter(created.key) } });
    await app.inject({ method: 'POST', url: '/v1/admin/keys/verify', headers, payload: { key: created.key } });
    const rotated = (
      await app.inject({
        method: 'POST',
        url: `/v1/admin/keys/${created.record.id}/rotate`,
        headers,
        payload: { overlap: '1m' },
      })
    ).json();
    secrets.push(rotated.key);
    await app.inject({ method: 'POST', url: `/v1/admin/keys/${rotated.record.id}/revoke`, headers, payload: {} });
    await app.inject({ url: '/v1/decide', headers: { 'x-api-key': rotated.key } });
    // A fault path, which logs an error with its stack.
    await isolated.warden.database.close();
    await app.inject({ url: '/v1/decide', headers: { 'x-api-key': sameIdOtherSecret(created.key) } });
    await app.inject({ method: 'POST', url: '/v1/admin/keys', headers, payload: { subject: 'after' } });
    await app.close();

    const logs = isolated.logLines.join('\n');
    expect(logs).toContain('storage fault'); // the fault was logged...
    const pepper = readFileSync(join(isolated.database.dataDir, 'pepper'), 'utf8').trim();
    for (const secret of [...secrets, ...secrets.map((k) => k.split('_')[2]!), pepper]) {
      expect(logs).not.toContain(secret); // ...without any secret.
    }
    const reopened = await startTestWarden(dialect, { database: isolated.database });
    const audit = JSON.stringify(await reopened.warden.audit.list({ limit: 1000 }));
    expect(audit).toContain('credential.verify_failed');
    for (const secret of [...secrets, ...secrets.map((k) => k.split('_')[2]!), pepper])
      expect(audit).not.toContain(secret);
    await reopened.warden.close();
    await isolated.warden.close();
    await isolated.database.drop();
  });
});
