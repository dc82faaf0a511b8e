import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { ConfigError } from '../config/errors.js';
import { redactDatabaseUrl } from '../config/redact.js';
import type { DatabaseSchema } from './schema.js';
import { withPreparedStatements } from './sqlite-statements.js';

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
  /**
   * Longest wait for a PostgreSQL answer before the query fails as a storage fault (503): a network path that
   * drops packets silently must not hold decisions forever.
   */
  queryTimeoutMs?: number;
  /**
   * Told about a PostgreSQL connection that broke (terminated by the server, reset by the network), whether it
   * sat idle in the pool or was checked out by a query. The query, if any, fails on its own; this is for logs.
   */
  onConnectionError?: (error: Error) => void;
}

/**
 * A pg client emits 'error' when its connection breaks (pg_terminate_backend, a network reset). The pool listens
 * only while a client is idle; a client checked out by a query has no listener, and an 'error' event without one
 * ends the process. Every client gets its own listener for its whole life: the query in flight fails with the
 * error (a 503 where it decides something), the pool discards the broken client on release, and the next
 * request opens a new connection.
 */
function handleConnectionErrors(pool: pg.Pool, report: (error: Error) => void): void {
  pool.on('connect', (client) => client.on('error', report));
  // The pool re-emits an idle client's error; the client's own listener above has already reported it.
  pool.on('error', () => {});
}

/** The file of a `sqlite:<path>` URL (`:memory:` for an in-memory database); null for any other URL. */
export function sqliteFilePath(url: string): string | null {
  if (!url.startsWith('sqlite:')) return null;
  const path = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
  if (path === '') throw new ConfigError('database.url: sqlite: needs a file path, e.g. sqlite:.warden/warden.db');
  return path;
}

/** Where the database of `url` lives, with any password removed: safe to print, before or after opening it. */
export function databaseLocation(url: string): string {
  const path = sqliteFilePath(url);
  return path !== null ? `sqlite:${path}` : redactDatabaseUrl(url);
}

/** Opens `sqlite:<path>` (WAL, synchronous=FULL) or `postgres://...` (a pg pool). */
export function openDatabase(url: string, options: DatabaseOptions = {}): Database {
  const path = sqliteFilePath(url);
  if (path !== null) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const sqlite = new SqliteDatabase(path);
    sqlite.pragma('journal_mode = WAL');
    // FULL: a committed revocation survives a power cut, which matters more than write throughput here.
    sqlite.pragma('synchronous = FULL');
    // The CLI and the server share the file; wait for the other's write lock instead of failing.
    sqlite.pragma('busy_timeout = 5000');
    const db = new Kysely<DatabaseSchema>({ dialect: new SqliteDialect({ database: withPreparedStatements(sqlite) }) });
    return { db, dialect: 'sqlite', location: databaseLocation(url), close: () => db.destroy() };
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
      query_timeout: options.queryTimeoutMs ?? 10_000,
      // TCP keepalive finds a peer that vanished without a reset, so its connection leaves the pool.
      keepAlive: true,
      types: types as pg.CustomTypesConfig,
    });
    handleConnectionErrors(pool, options.onConnectionError ?? (() => {}));
    const db = new Kysely<DatabaseSchema>({ dialect: new PostgresDialect({ pool }) });
    return {
      db,
      dialect: 'postgres',
      location: databaseLocation(url),
      close: () => db.destroy(),
    };
  }
  throw new ConfigError(`database.url must start with sqlite: or postgres://, got "${url.split(':')[0]}:..."`);
}
