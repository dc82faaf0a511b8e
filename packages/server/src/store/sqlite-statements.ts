import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteDatabase } from 'kysely';

/** Distinct SQL texts kept prepared; past this the oldest is dropped (texts that vary, like VALUES lists). */
const MAX_STATEMENTS = 256;

/**
 * better-sqlite3 as Kysely's SQLite dialect uses it, with each statement prepared once per SQL text instead of
 * once per query: Kysely prepares on every execution, and preparing cost more than running the query (a profile
 * of the token endpoint: 9.5% of samples in `prepare` against 5.6% executing). Reuse is safe: the dialect runs
 * one query at a time on its one connection, and SQLite prepares a statement again by itself after a schema
 * change.
 */
export function withPreparedStatements(sqlite: BetterSqlite3.Database): SqliteDatabase {
  const statements = new Map<string, BetterSqlite3.Statement>();
  return {
    prepare(sql) {
      let statement = statements.get(sql);
      if (statement === undefined) {
        statement = sqlite.prepare(sql);
        if (statements.size >= MAX_STATEMENTS) statements.delete(statements.keys().next().value as string);
        statements.set(sql, statement);
      }
      return statement;
    },
    close() {
      statements.clear();
      sqlite.close();
    },
  };
}
