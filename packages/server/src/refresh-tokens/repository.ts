import type { Kysely, Selectable } from 'kysely';
import type { DatabaseSchema, RefreshTokenTable } from '../store/schema.js';

/** A refresh token as stored: never its secret, only the digest. */
export interface RefreshTokenRecord {
  id: string;
  familyId: string;
  clientId: string;
  subject: string;
  secret: { hash: string; salt: string };
  scopes: string[];
  audience: string;
  /** The access token issued with this refresh token. */
  accessJti: string;
  accessExpiresAt: number;
  createdAt: number;
  expiresAt: number;
  familyExpiresAt: number;
  rotatedAt: number | null;
  revokedAt: number | null;
  revokedReason: string | null;
}

function fromRow(row: Selectable<RefreshTokenTable>): RefreshTokenRecord {
  const nullableNumber = (value: number | null) => (value === null ? null : Number(value));
  return {
    id: row.id,
    familyId: row.family_id,
    clientId: row.client_id,
    subject: row.subject,
    secret: { hash: row.secret_hash, salt: row.secret_salt },
    scopes: JSON.parse(row.scopes) as string[],
    audience: row.audience,
    accessJti: row.access_jti,
    accessExpiresAt: Number(row.access_expires_at),
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    familyExpiresAt: Number(row.family_expires_at),
    rotatedAt: nullableNumber(row.rotated_at),
    revokedAt: nullableNumber(row.revoked_at),
    revokedReason: row.revoked_reason,
  };
}

/**
 * The `refresh_tokens` table. Rotation is a compare-and-set (only a token not yet rotated nor revoked can be
 * rotated), so of two requests presenting one token, on one instance or two, exactly one wins.
 */
export class RefreshTokenRepository {
  constructor(private readonly db: Kysely<DatabaseSchema>) {}

  async insert(record: RefreshTokenRecord): Promise<void> {
    await this.db
      .insertInto('refresh_tokens')
      .values({
        id: record.id,
        family_id: record.familyId,
        client_id: record.clientId,
        subject: record.subject,
        secret_hash: record.secret.hash,
        secret_salt: record.secret.salt,
        scopes: JSON.stringify(record.scopes),
        audience: record.audience,
        access_jti: record.accessJti,
        access_expires_at: record.accessExpiresAt,
        created_at: record.createdAt,
        expires_at: record.expiresAt,
        family_expires_at: record.familyExpiresAt,
        rotated_at: record.rotatedAt,
        revoked_at: record.revokedAt,
        revoked_reason: record.revokedReason,
      })
      .execute();
  }

  async findById(id: string): Promise<RefreshTokenRecord | null> {
    const row = await this.db.selectFrom('refresh_tokens').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? fromRow(row) : null;
  }

  /** Marks a token exchanged for its successor; false when it already was, or is revoked (someone else won). */
  async markRotated(id: string, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable('refresh_tokens')
      .set({ rotated_at: now })
      .where('id', '=', id)
      .where('rotated_at', 'is', null)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * Revokes every token of a family, and answers the access tokens issued with them (still unexpired at `now`),
   * so the caller can deny-list those too.
   */
  async revokeFamily(familyId: string, reason: string, now: number): Promise<{ jti: string; expiresAt: number }[]> {
    await this.db
      .updateTable('refresh_tokens')
      .set({ revoked_at: now, revoked_reason: reason })
      .where('family_id', '=', familyId)
      .where('revoked_at', 'is', null)
      .execute();
    const rows = await this.db
      .selectFrom('refresh_tokens')
      .select(['access_jti', 'access_expires_at'])
      .where('family_id', '=', familyId)
      .where('access_expires_at', '>', now)
      .execute();
    return rows.map((row) => ({ jti: row.access_jti, expiresAt: Number(row.access_expires_at) }));
  }

  /** Whether any token of the family is revoked (a revocation revokes them all). */
  async familyRevoked(familyId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('refresh_tokens')
      .select('id')
      .where('family_id', '=', familyId)
      .where('revoked_at', 'is not', null)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Deletes families that ended before `before` (nothing in them can be used or asked about any more). */
  async deleteEndedBefore(before: number): Promise<void> {
    await this.db.deleteFrom('refresh_tokens').where('family_expires_at', '<', before).execute();
  }
}
