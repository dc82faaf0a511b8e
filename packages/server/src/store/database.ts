import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { ConfigError } from '../config/errors.js';
import { redactDatabaseUrl } from '../config/redact.js';
import type { DatabaseSchema } from './schema.js';

export type DialectName = 'sqlite' | 'postgres';

export interface Database {
  db: Kysely<DatabaseSchema>;
  dialect: DialectName;
  /** Where the data lives, with any password removed: safe to print. */
  location: string;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  poolSize?: number;
}

/** Opens `sqlite:<path>` (WAL, synchronous=FULL) or `postgres://...` (a pg pool). */
export function openDatabase(url: string, options: DatabaseOptions = {}): Database {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (path === '') throw new ConfigError('database.url: sqlite: needs a file path, e.g. sqlite:.warden/warden.db');
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const sqlite = new SqliteDatabase(path);
    sqlite.pragma('journal_mode = WAL');
    // FULL: a committed revocation survives a power cut, which matters more than write throughput here.
    sqlite.pragma('synchronous = FULL');
    // The CLI and the server share the file; wait for the other's write lock instead of failing.
    sqlite.pragma('busy_timeout = 5000');
    const db = new Kysely<DatabaseSchema>({ dialect: new SqliteDialect({ database: sqlite }) });
    return { db, dialect: 'sqlite', location: `sqlite:${path}`, close: () => db.destroy() };
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    const types = {
      getTypeParser: (oid: number, format?: 'text' | 'binary') =>
        // int8 (bigint) holds epoch milliseconds, well inside Number's exact range.
        oid === 20 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format),
    };
    const pool = new pg.Pool({
      connectionString: url,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: 5_000,
      types: types as pg.CustomTypesConfig,
    });
    // An idle client losing its connection must not crash the process; the next query reports the fault.
    pool.on('error', () => {});
    const db = new Kysely<DatabaseSchema>({ dialect: new PostgresDialect({ pool }) });
    return {
      db,
      dialect: 'postgres',
      location: redactDatabaseUrl(url),
      close: () => db.destroy(),
    };
  }
  throw new ConfigError(`database.url must start with sqlite: or postgres://, got "${url.split(':')[0]}:..."`);
}
