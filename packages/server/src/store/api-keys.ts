import type { SubjectType } from '@warden/sdk';
import { type Kysely, type Selectable, sql } from 'kysely';
import type { ApiKeyTable, DatabaseSchema } from './schema.js';

/** An API key as stored. `salt` and `secretHash` never leave the server: see `toApiKeyView`. */
export interface ApiKeyRecord {
  id: string;
  prefix: string;
  name: string | null;
  subject: string;
  subjectType: SubjectType;
  tenant: string | null;
  admin: boolean;
  roles: string[];
  scopes: string[];
  metadata: Record<string, unknown>;
  salt: string;
  secretHash: string;
  createdAt: number;
  createdBy: string | null;
  expiresAt: number | null;
  revokedAt: number | null;
  revokedReason: string | null;
  lastUsedAt: number | null;
  rotatedFrom: string | null;
  rotatedTo: string | null;
}

export interface ApiKeyFilter {
  subject?: string;
  tenant?: string;
  status?: 'active' | 'revoked' | 'expired';
  /** Only keys whose id sorts after this one (cursor paging). */
  after?: string;
  limit?: number;
  now: number;
}

/** Keys per last-used statement: 1,000 parameters, well inside SQLite's and PostgreSQL's limits. */
const LAST_USED_BATCH = 500;

function fromRow(row: Selectable<ApiKeyTable>): ApiKeyRecord {
  return {
    id: row.id,
    prefix: row.prefix,
    name: row.name,
    subject: row.subject,
    subjectType: row.subject_type as SubjectType,
    tenant: row.tenant,
    admin: row.admin === 1,
    roles: JSON.parse(row.roles) as string[],
    scopes: JSON.parse(row.scopes) as string[],
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    salt: row.salt,
    secretHash: row.secret_hash,
    createdAt: Number(row.created_at),
    createdBy: row.created_by,
    expiresAt: row.expires_at === null ? null : Number(row.expires_at),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
    revokedReason: row.revoked_reason,
    lastUsedAt: row.last_used_at === null ? null : Number(row.last_used_at),
    rotatedFrom: row.rotated_from,
    rotatedTo: row.rotated_to,
  };
}

export function toApiKeyRow(record: ApiKeyRecord, updatedAt: number): ApiKeyTable {
  return {
    id: record.id,
    prefix: record.prefix,
    name: record.name,
    subject: record.subject,
    subject_type: record.subjectType,
    tenant: record.tenant,
    admin: record.admin ? 1 : 0,
    roles: JSON.stringify(record.roles),
    scopes: JSON.stringify(record.scopes),
    metadata: JSON.stringify(record.metadata),
    salt: record.salt,
    secret_hash: record.secretHash,
    created_at: record.createdAt,
    created_by: record.createdBy,
    expires_at: record.expiresAt,
    revoked_at: record.revokedAt,
    revoked_reason: record.revokedReason,
    last_used_at: record.lastUsedAt,
    rotated_from: record.rotatedFrom,
    rotated_to: record.rotatedTo,
    updated_at: updatedAt,
  };
}

/** Every write bumps `updated_at`: that is what other instances poll to evict their caches. */
export class ApiKeyRepository {
  constructor(private readonly db: Kysely<DatabaseSchema>) {}

  async insert(record: ApiKeyRecord, now: number): Promise<void> {
    await this.db.insertInto('api_keys').values(toApiKeyRow(record, now)).execute();
  }

  async findById(id: string): Promise<ApiKeyRecord | null> {
    const row = await this.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? fromRow(row) : null;
  }

  async list(filter: ApiKeyFilter): Promise<ApiKeyRecord[]> {
    let query = this.db
      .selectFrom('api_keys')
      .selectAll()
      .orderBy('id')
      .limit(filter.limit ?? 100);
    if (filter.subject !== undefined) query = query.where('subject', '=', filter.subject);
    if (filter.tenant !== undefined) query = query.where('tenant', '=', filter.tenant);
    if (filter.after !== undefined) query = query.where('id', '>', filter.after);
    if (filter.status === 'revoked') query = query.where('revoked_at', 'is not', null);
    if (filter.status === 'expired') {
      query = query.where('revoked_at', 'is', null).where('expires_at', '<=', filter.now);
    }
    if (filter.status === 'active') {
      query = query
        .where('revoked_at', 'is', null)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', filter.now)]));
    }
    return (await query.execute()).map(fromRow);
  }

  /** Marks a key revoked; false when it does not exist or was already revoked (the first revocation wins). */
  async revoke(id: string, now: number, reason: string | null): Promise<boolean> {
    const result = await this.db
      .updateTable('api_keys')
      .set({ revoked_at: now, revoked_reason: reason, updated_at: now })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * Records a rotation in one transaction: the new key is inserted, the old one points at it and expires at the
   * end of the overlap window (never later than it already would).
   */
  async rotate(oldId: string, replacement: ApiKeyRecord, oldExpiresAt: number, now: number): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const result = await trx
        .updateTable('api_keys')
        .set({ rotated_to: replacement.id, expires_at: oldExpiresAt, updated_at: now })
        .where('id', '=', oldId)
        .where('revoked_at', 'is', null)
        .where('rotated_to', 'is', null)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) return false;
      await trx.insertInto('api_keys').values(toApiKeyRow(replacement, now)).execute();
      return true;
    });
  }

  /** Ids of keys written at or after `since` (epoch ms): the cross-process invalidation feed. */
  async changedSince(since: number, limit: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('api_keys')
      .select('id')
      .where('updated_at', '>=', since)
      .limit(limit)
      .execute();
    return rows.map((row) => row.id);
  }

  /**
   * Write-behind of last-used times: one statement per 500 keys (an UPDATE joined to a VALUES list, which both
   * SQLite and PostgreSQL run), and a time only ever moves forward. One statement instead of one per key keeps
   * the flush short: on SQLite it runs on the event loop.
   */
  async recordLastUsed(times: Map<string, number>): Promise<void> {
    const entries = [...times];
    for (let start = 0; start < entries.length; start += LAST_USED_BATCH) {
      const rows = entries.slice(start, start + LAST_USED_BATCH).map(([id, at]) => sql`(${id}, cast(${at} as bigint))`);
      // VALUES columns are column1, column2 on both dialects.
      await sql`
        update api_keys set last_used_at = v.column2
        from (values ${sql.join(rows)}) as v
        where api_keys.id = v.column1 and (api_keys.last_used_at is null or api_keys.last_used_at < v.column2)
      `.execute(this.db);
    }
  }

  async count(): Promise<number> {
    const row = await this.db
      .selectFrom('api_keys')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }
}
