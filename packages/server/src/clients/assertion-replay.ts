import type { Kysely } from 'kysely';
import type { DatabaseSchema } from '../store/schema.js';

/**
 * The jtis of accepted client assertions (RFC 7523 section 3: a jti is used once). In the store, not in memory,
 * so an assertion replayed against another instance is refused too: the insert of a (client, jti) pair that is
 * already there inserts nothing.
 */
export class AssertionReplayRepository {
  constructor(private readonly db: Kysely<DatabaseSchema>) {}

  /** Records a first use: true; false when this client's jti was seen before (a replay). */
  async firstUse(clientId: string, jti: string, expiresAt: number): Promise<boolean> {
    const result = await this.db
      .insertInto('client_assertion_jtis')
      .values({ client_id: clientId, jti, expires_at: expiresAt })
      .onConflict((conflict) => conflict.columns(['client_id', 'jti']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
  }

  /** Forgets jtis of assertions that expired: they are refused by their `exp` anyway. */
  async deleteExpired(now: number): Promise<void> {
    await this.db.deleteFrom('client_assertion_jtis').where('expires_at', '<', now).execute();
  }
}
