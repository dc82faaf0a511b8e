import type { Kysely } from 'kysely';
import { PeriodicTask } from '../cluster/periodic-task.js';
import type { DatabaseSchema } from '../store/schema.js';

/** The `revoked_tokens` table: the jti deny-list of access tokens revoked before their `exp`. */
export class RevokedTokenRepository {
  constructor(private readonly db: Kysely<DatabaseSchema>) {}

  /** Adds jtis to the deny-list (a jti already there keeps its first revocation). */
  async insert(entries: readonly { jti: string; expiresAt: number }[], now: number): Promise<void> {
    if (entries.length === 0) return;
    await this.db
      .insertInto('revoked_tokens')
      .values(entries.map((entry) => ({ jti: entry.jti, expires_at: entry.expiresAt, revoked_at: now })))
      .onConflict((conflict) => conflict.column('jti').doNothing())
      .execute();
  }

  async isRevoked(jti: string): Promise<boolean> {
    const row = await this.db.selectFrom('revoked_tokens').select('jti').where('jti', '=', jti).executeTakeFirst();
    return row !== undefined;
  }

  /** Entries revoked at or after `since` and not yet expired at `now`, at most `limit`. */
  async revokedSince(
    since: number,
    now: number,
    limit: number,
  ): Promise<{ jti: string; expiresAt: number; revokedAt: number }[]> {
    const rows = await this.db
      .selectFrom('revoked_tokens')
      .select(['jti', 'expires_at', 'revoked_at'])
      .where('revoked_at', '>=', since)
      .where('expires_at', '>', now)
      .orderBy('revoked_at')
      .limit(limit)
      .execute();
    return rows.map((row) => ({
      jti: row.jti,
      expiresAt: Number(row.expires_at),
      revokedAt: Number(row.revoked_at),
    }));
  }

  /** Forgets entries whose token has expired anyway: nobody can present it any more. */
  async deleteExpired(now: number): Promise<void> {
    await this.db.deleteFrom('revoked_tokens').where('expires_at', '<=', now).execute();
  }
}

export interface RevokedTokensOptions {
  repository: RevokedTokenRepository;
  intervalMs: number;
  now: () => number;
  /** Called for every jti revoked here or elsewhere, so caches of verified tokens drop it. */
  onRevoked: (jti: string) => void;
  /** Told about a failed poll; meanwhile every check reads the store. */
  onError: (error: unknown) => void;
}

/**
 * Which Warden access tokens are revoked, as every instance must see it: the store holds the deny-list, and each
 * instance keeps a copy it refreshes by polling "revoked since T" (looking back a few seconds, like the API key
 * poller, for writes that committed late). A revocation made here is in the copy at once; one made elsewhere
 * within one poll interval. While the copy is not fresh (no successful poll recently, or never: an engine
 * without background tasks), `isRevoked` asks the store: a stale copy never keeps a revoked token alive.
 */
export class RevokedTokens {
  static readonly LOOKBACK_MS = 5_000;
  /** A first load or a poll reads at most this many rows at once; more are read by the following polls. */
  static readonly PAGE = 10_000;
  /** Expired entries are deleted from the store this often (by whichever instance polls). */
  static readonly CLEANUP_EVERY_MS = 60_000;
  private readonly revoked = new Map<string, number>();
  private readonly task: PeriodicTask;
  /** When the last poll that read everything up to its start began; null until the first full load succeeds. */
  private lastSuccessAt: number | null = null;
  /** Where the next poll reads from (revoked_at). */
  private since = 0;
  private lastCleanupAt = 0;

  constructor(private readonly options: RevokedTokensOptions) {
    this.task = new PeriodicTask({ intervalMs: options.intervalMs, run: () => this.poll(), onError: options.onError });
  }

  start(): void {
    this.task.start();
  }

  /** True while the copy is recent enough to answer without the store. */
  isFresh(): boolean {
    return (
      this.lastSuccessAt !== null &&
      this.options.now() - this.lastSuccessAt <= Math.max(1_000, this.options.intervalMs * 4)
    );
  }

  /** Synchronous while the copy is fresh; a promise (a store read) otherwise. A storage fault rejects. */
  isRevoked(jti: string): boolean | Promise<boolean> {
    if (this.revoked.has(jti)) return true;
    if (this.isFresh()) return false;
    return this.options.repository.isRevoked(jti);
  }

  /** Revokes access tokens by jti: stored first (so every instance sees it), then in this instance's copy. */
  async revoke(entries: readonly { jti: string; expiresAt: number }[]): Promise<void> {
    const now = this.options.now();
    const live = entries.filter((entry) => entry.expiresAt > now);
    await this.options.repository.insert(live, now);
    for (const entry of live) this.remember(entry.jti, entry.expiresAt);
  }

  /** Reads what was revoked since the last poll now (what the background task does periodically). */
  pollOnce(): Promise<void> {
    return this.task.runOnce();
  }

  async stop(): Promise<void> {
    await this.task.stop();
  }

  private async poll(): Promise<void> {
    const startedAt = this.options.now();
    const { repository } = this.options;
    const rows = await repository.revokedSince(this.since, startedAt, RevokedTokens.PAGE);
    for (const row of rows) this.remember(row.jti, row.expiresAt);
    for (const [jti, expiresAt] of this.revoked) if (expiresAt <= startedAt) this.revoked.delete(jti);
    if (rows.length < RevokedTokens.PAGE) {
      this.lastSuccessAt = startedAt;
      this.since = startedAt - RevokedTokens.LOOKBACK_MS;
    } else {
      // A full page may hide more rows: not fresh until a poll reads less than a page.
      this.lastSuccessAt = null;
      this.since = rows.at(-1)!.revokedAt;
    }
    if (startedAt - this.lastCleanupAt >= RevokedTokens.CLEANUP_EVERY_MS) {
      this.lastCleanupAt = startedAt;
      await repository.deleteExpired(startedAt);
    }
  }

  private remember(jti: string, expiresAt: number): void {
    if (!this.revoked.has(jti)) this.options.onRevoked(jti);
    this.revoked.set(jti, expiresAt);
  }
}
