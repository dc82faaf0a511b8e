import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/**
 * Real databases for tests: a fresh SQLite file, or a fresh PostgreSQL database on 127.0.0.1:5432 per call, so
 * test runs never share state. PostgreSQL tests are required (they fail, not skip) when CI=true or
 * WARDEN_REQUIRE_POSTGRES=1.
 */
export const POSTGRES_ADMIN_URL = process.env.WARDEN_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const postgresRequired = process.env.CI === 'true' || process.env.WARDEN_REQUIRE_POSTGRES === '1';

export interface TestDatabase {
  dialect: 'sqlite' | 'postgres';
  url: string;
  dataDir: string;
  drop(): Promise<void>;
}

export function tempDir(label = 'warden-test'): string {
  return mkdtempSync(join(tmpdir(), `${label}-`));
}

let postgresReachable: Promise<boolean> | null = null;
export function isPostgresReachable(): Promise<boolean> {
  postgresReachable ??= (async () => {
    const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      await client.query('select 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => {});
    }
  })();
  return postgresReachable;
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function createTestDatabase(dialect: 'sqlite' | 'postgres'): Promise<TestDatabase> {
  const dataDir = tempDir(`warden-${dialect}`);
  if (dialect === 'sqlite') {
    return {
      dialect,
      dataDir,
      url: `sqlite:${join(dataDir, 'warden.db')}`,
      drop: async () => rmSync(dataDir, { recursive: true, force: true }),
    };
  }
  const name = `warden_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await adminQuery(`create database ${name}`);
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    dialect,
    dataDir,
    url: url.toString(),
    drop: async () => {
      await adminQuery(`drop database if exists ${name} with (force)`);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The dialects a storage-touching suite runs on; PostgreSQL is left out only when unreachable and not required. */
export async function testDialects(): Promise<('sqlite' | 'postgres')[]> {
  if (await isPostgresReachable()) return ['sqlite', 'postgres'];
  if (postgresRequired) throw new Error(`PostgreSQL is required (CI) but unreachable at ${POSTGRES_ADMIN_URL}`);
  console.warn(`PostgreSQL unreachable at ${POSTGRES_ADMIN_URL}: running SQLite only (set CI=true to require it)`);
  return ['sqlite'];
}
