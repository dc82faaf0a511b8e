import type { Kysely } from 'kysely';
import type { DatabaseSchema } from './schema.js';

/** Small named values the deployment must agree on (pepper fingerprint, bootstrap done). */
export class SettingsRepository {
  constructor(private readonly db: Kysely<DatabaseSchema>) {}

  async get(name: string): Promise<string | null> {
    const row = await this.db.selectFrom('settings').select('value').where('name', '=', name).executeTakeFirst();
    return row?.value ?? null;
  }

  /** Sets the value only if none is set yet; returns the value that is stored afterwards (ours or the winner's). */
  async setIfAbsent(name: string, value: string): Promise<string> {
    await this.db
      .insertInto('settings')
      .values({ name, value })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    return (await this.get(name)) ?? value;
  }
}
