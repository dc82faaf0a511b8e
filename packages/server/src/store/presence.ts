import { existsSync } from 'node:fs';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { openDatabase, sqliteFilePath } from './database.js';
import { hasWardenSchema } from './migrations.js';

/**
 * What is at a database URL: `absent` (a SQLite file that does not exist), `empty` (a database without Warden's
 * schema: a fresh PostgreSQL database, or a SQLite file something else made) or `warden` (a Warden store).
 */
export type StorePresence = 'absent' | 'empty' | 'warden';

/**
 * Looks at the database of `url` without creating anything, so a command that must not create a store can tell
 * whether one is there: a SQLite file that does not exist is never opened (opening creates it), one that does is
 * opened read-only, and PostgreSQL is asked whether Warden's migrations ever ran.
 */
export async function findStore(url: string): Promise<StorePresence> {
  const path = sqliteFilePath(url);
  if (path === null) {
    const database = openDatabase(url, { poolSize: 1 });
    try {
      return (await hasWardenSchema(database.db as never, database.dialect)) ? 'warden' : 'empty';
    } finally {
      await database.close();
    }
  }
  if (path === ':memory:' || !existsSync(path)) return 'absent';
  const db = new Kysely<unknown>({
    dialect: new SqliteDialect({ database: new SqliteDatabase(path, { readonly: true, fileMustExist: true }) }),
  });
  try {
    return (await hasWardenSchema(db, 'sqlite')) ? 'warden' : 'empty';
  } finally {
    await db.destroy();
  }
}
