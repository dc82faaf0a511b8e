import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrapKeysIn, buildCli, runCleanups, type Served, serve, workDir } from './helpers/cli.js';
import { createTestDatabase, type TestDatabase, testDialects } from './helpers/databases.js';
import { unknownWellFormedKey } from './helpers/requests.js';
import { TcpRelay } from './helpers/tcp-relay.js';

/**
 * SECURITY.md #53 on the real PostgreSQL, against the real `warden serve` process: database connections are
 * killed while checked out (pg_terminate_backend under load) and the network path is cut and restored (a relay
 * this test owns). The server must stay up, fail closed with 503 while storage is gone, answer 200 after, and
 * lose no write it acknowledged.
 */
const dialects = await testDialects();

const sleep = (ms: number) => new Promise((resolvePromise) => setTimeout(resolvePromise, ms));

/** Runs `request` from `concurrency` loops until `stop()` says so; counts the statuses seen. */
async function underLoad(
  concurrency: number,
  stop: () => boolean,
  request: () => Promise<number>,
): Promise<Map<number, number>> {
  const statuses = new Map<number, number>();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (!stop()) {
        const status = await request();
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    }),
  );
  return statuses;
}

/** Polls `check` until it holds or `timeoutMs` passes; returns whether it held. */
async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
}

describe.runIf(dialects.includes('postgres'))('SECURITY.md #53: storage faults on PostgreSQL (warden serve)', () => {
  let database: TestDatabase;
  let databaseName: string;
  let relay: TcpRelay;
  let served: Served;
  let adminKey: string;
  let observer: pg.Client;

  beforeAll(async () => {
    buildCli();
    database = await createTestDatabase('postgres');
    const direct = new URL(database.url);
    databaseName = direct.pathname.slice(1);
    relay = await TcpRelay.start({ host: direct.hostname, port: Number(direct.port || 5432) });
    const relayed = new URL(database.url);
    relayed.hostname = '127.0.0.1';
    relayed.port = String(relay.port);
    const cwd = workDir();
    // A short query timeout, so the stalled-network case fails closed quickly.
    writeFileSync(join(cwd, 'warden.yaml'), 'database:\n  query_timeout: 1s\n');
    served = await serve(cwd, ['--database', relayed.toString()]);
    adminKey = bootstrapKeysIn(served.stdout())[0]!;
    // The test's own connection, around the relay: what was really committed; it terminates Warden's backends.
    observer = new pg.Client({ connectionString: database.url });
    await observer.connect();
  }, 180_000);

  afterAll(async () => {
    await runCleanups();
    await observer?.end();
    await relay?.close();
    await database?.drop();
  });

  const decide = async (key: string) => {
    const response = await fetch(`${served.baseUrl}/v1/decide`, { headers: { authorization: `Bearer ${key}` } });
    await response.arrayBuffer();
    return response.status;
  };
  const createKey = async (): Promise<{ status: number; id?: string; key?: string }> => {
    const response = await fetch(`${served.baseUrl}/v1/admin/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ subject: 'load' }),
    });
    if (response.status !== 201) {
      await response.arrayBuffer();
      return { status: response.status };
    }
    const body = (await response.json()) as { key: string; record: { id: string } };
    return { status: 201, id: body.record.id, key: body.key };
  };
  const readiness = async () => {
    const response = await fetch(`${served.baseUrl}/readyz`);
    await response.arrayBuffer();
    return response.status;
  };
  /** Kills every server connection of Warden's database, whatever it is doing; returns how many. */
  const terminateBackends = async () => {
    const result = await observer.query(
      'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
      [databaseName],
    );
    return result.rowCount ?? 0;
  };
  /** Runs `request` from `concurrency` loops while every backend of Warden's database is killed 10 times. */
  const whileTerminatingBackends = async (concurrency: number, request: () => Promise<number>) => {
    let done = false;
    const load = underLoad(concurrency, () => done, request);
    let terminated = 0;
    for (let round = 0; round < 10; round++) {
      await sleep(120);
      terminated += await terminateBackends();
    }
    done = true;
    return { statuses: await load, terminated };
  };
  const expectAlive = () =>
    expect(served.child.exitCode, `warden serve exited\n${served.stdout()}\n${served.stderr()}`).toBeNull();

  it('decide-heavy load: backends terminated 10 times mid-query; only 200/401/503, never a crash; 200 after', async () => {
    const keys: string[] = [];
    for (let i = 0; i < 4; i++) keys.push((await createKey()).key!);
    // Half the requests carry a fresh unknown id, so connections are checked out all the time.
    const { statuses, terminated } = await whileTerminatingBackends(12, () =>
      decide(Math.random() < 0.5 ? keys[Math.floor(Math.random() * keys.length)]! : unknownWellFormedKey()),
    );

    expectAlive();
    expect(terminated).toBeGreaterThanOrEqual(10);
    expect([...statuses.keys()].filter((status) => ![200, 401, 503].includes(status))).toEqual([]);
    expect(statuses.get(200)).toBeGreaterThan(0);
    expect(await eventually(async () => (await decide(unknownWellFormedKey())) === 401)).toBe(true);
    expect(await decide(keys[0]!)).toBe(200);
    expect(await readiness()).toBe(200);
    expect(served.stderr() + served.stdout()).not.toMatch(/Unhandled|uncaught/i);
  });

  it('write-heavy load (admin API): backends terminated 10 times; every acknowledged key is in the database', async () => {
    const acknowledged: string[] = [];
    const { statuses, terminated } = await whileTerminatingBackends(8, async () => {
      const created = await createKey();
      if (created.id) acknowledged.push(created.id);
      return created.status;
    });

    expectAlive();
    expect(terminated).toBeGreaterThanOrEqual(10);
    expect([...statuses.keys()].filter((status) => ![201, 503].includes(status))).toEqual([]);
    expect(acknowledged.length).toBeGreaterThan(0);
    const stored = await observer.query('select id from api_keys where id = any($1)', [acknowledged]);
    expect(stored.rowCount).toBe(acknowledged.length);
    expect((await createKey()).status).toBe(201);
  });

  it('network cut and restored three times under load: 503 while cut (decide, admin, /readyz), 200 after', async () => {
    const valid = (await createKey()).key!;
    let done = false;
    const load = underLoad(
      6,
      () => done,
      () => decide(Math.random() < 0.5 ? valid : unknownWellFormedKey()),
    );
    for (let cycle = 0; cycle < 3; cycle++) {
      relay.cut();
      // A storage read fails closed at once; a cached key stops being trusted within max(1 s, 4 x poll interval).
      expect(await eventually(async () => (await decide(unknownWellFormedKey())) === 503, 3_000)).toBe(true);
      expect(await eventually(async () => (await decide(valid)) === 503, 3_000)).toBe(true);
      expect(await readiness()).toBe(503);
      expect((await createKey()).status).toBe(503);
      expectAlive();

      relay.restore();
      expect(await eventually(async () => (await decide(valid)) === 200, 5_000)).toBe(true);
      expect(await readiness()).toBe(200);
      const created = await createKey();
      expect(created.status).toBe(201);
      expect(await decide(created.key!)).toBe(200);
    }
    done = true;
    const statuses = await load;
    expectAlive();
    expect([...statuses.keys()].filter((status) => ![200, 401, 503].includes(status))).toEqual([]);
  });

  it('a stalled network (nothing reset, nothing arrives): 503 within the query timeout, 200 once bytes flow again', async () => {
    const valid = (await createKey()).key!;
    expect(await decide(valid)).toBe(200);
    relay.stall();
    const started = Date.now();
    // query_timeout is 1 s here; a new connection gives up after 5 s (connectionTimeoutMillis).
    expect(await decide(unknownWellFormedKey())).toBe(503);
    expect(Date.now() - started).toBeLessThan(6_000);
    expect(await eventually(async () => (await decide(valid)) === 503, 8_000)).toBe(true);
    expect(await readiness()).toBe(503);
    expectAlive();

    relay.restore();
    expect(await eventually(async () => (await decide(valid)) === 200, 15_000)).toBe(true);
    expect(await eventually(async () => (await readiness()) === 200, 10_000)).toBe(true);
    expect((await createKey()).status).toBe(201);
    expect(await decide(unknownWellFormedKey())).toBe(401);
  });
});
