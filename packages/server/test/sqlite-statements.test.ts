import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { withPreparedStatements } from '../src/store/sqlite-statements.js';
import { tempDir } from './helpers/databases.js';

/** The prepared-statement cache under Kysely's SQLite dialect, on a real SQLite file. */
describe('SQLite prepared statements', () => {
  const open = () => {
    const sqlite = new Database(join(tempDir('warden-statements'), 'test.db'));
    const database = withPreparedStatements(sqlite);
    return {
      sqlite,
      database,
      db: new Kysely<Record<string, Record<string, unknown>>>({ dialect: new SqliteDialect({ database }) }),
    };
  };

  it('prepares each SQL text once and answers every execution with its own parameters', async () => {
    const { database, db } = open();
    expect(database.prepare('select 1 as one')).toBe(database.prepare('select 1 as one'));
    await sql`create table items (id integer primary key, name text)`.execute(db);
    for (const name of ['a', 'b', 'c']) await db.insertInto('items').values({ name }).execute();
    const find = (name: string) => db.selectFrom('items').select('id').where('name', '=', name).executeTakeFirst();
    expect(await find('b')).toEqual({ id: 2 });
    expect(await find('c')).toEqual({ id: 3 });
    expect(await find('z')).toBeUndefined();
    await db.destroy();
  });

  it('a statement prepared before a schema change sees the new schema (SQLite prepares it again)', async () => {
    const { db } = open();
    await sql`create table things (id integer primary key)`.execute(db);
    await db.insertInto('things').values({ id: 1 }).execute();
    expect(await db.selectFrom('things').selectAll().execute()).toEqual([{ id: 1 }]);
    await sql`alter table things add column label text not null default 'x'`.execute(db);
    expect(await db.selectFrom('things').selectAll().execute()).toEqual([{ id: 1, label: 'x' }]);
    await db.destroy();
  });

  it('keeps at most 256 texts: the oldest is prepared again when it comes back', () => {
    const { sqlite, database } = open();
    const first = database.prepare('select 0');
    for (let i = 1; i <= 256; i += 1) database.prepare(`select ${i}`);
    expect(database.prepare('select 256')).toBe(database.prepare('select 256'));
    expect(database.prepare('select 0')).not.toBe(first);
    database.close();
    expect(sqlite.open).toBe(false);
  });
});
