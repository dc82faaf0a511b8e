import type { Kysely, Selectable } from 'kysely';
import type { DatabaseSchema, OAuthClientTable } from '../store/schema.js';
import type { ClientAuthMethod, ClientGrantType, ClientJwks } from './inputs.js';

/** A stored secret digest: `HMAC-SHA256(pepper, salt || secret)`, hex, and its salt. Never the secret. */
export interface StoredSecret {
  hash: string;
  salt: string;
}

/**
 * An OAuth 2.0 client as stored. The digests never leave the server: see `toClientView`. The previous secret is
 * the one a rotation replaced; it keeps working until `previousSecretExpiresAt`.
 */
export interface OAuthClientRecord {
  id: string;
  name: string;
  secret: StoredSecret | null;
  previousSecret: (StoredSecret & { expiresAt: number }) | null;
  authMethod: ClientAuthMethod;
  /** The public keys of a private_key_jwt client; null for the others. */
  jwks: ClientJwks | null;
  grantTypes: ClientGrantType[];
  scopes: string[];
  audiences: string[];
  tenant: string | null;
  roles: string[];
  admin: boolean;
  /** May call the introspection endpoint. */
  mayIntrospect: boolean;
  /** Lifetime of its access tokens in milliseconds; null: the configured default. */
  tokenTtlMs: number | null;
  metadata: Record<string, unknown>;
  createdAt: number;
  createdBy: string | null;
  disabledAt: number | null;
  updatedAt: number;
}

export interface OAuthClientFilter {
  status?: 'active' | 'disabled';
  /** Only clients whose id sorts after this one (cursor paging). */
  after?: string;
  limit?: number;
}

const numberOrNull = (value: number | string | bigint | null) => (value === null ? null : Number(value));

function fromRow(row: Selectable<OAuthClientTable>): OAuthClientRecord {
  const previousExpiresAt = numberOrNull(row.previous_secret_expires_at);
  return {
    id: row.id,
    name: row.name,
    secret:
      row.secret_hash !== null && row.secret_salt !== null ? { hash: row.secret_hash, salt: row.secret_salt } : null,
    previousSecret:
      row.previous_secret_hash !== null && row.previous_secret_salt !== null && previousExpiresAt !== null
        ? { hash: row.previous_secret_hash, salt: row.previous_secret_salt, expiresAt: previousExpiresAt }
        : null,
    authMethod: row.auth_method as ClientAuthMethod,
    jwks: row.jwks === null ? null : (JSON.parse(row.jwks) as ClientJwks),
    grantTypes: JSON.parse(row.grant_types) as ClientGrantType[],
    scopes: JSON.parse(row.scopes) as string[],
    audiences: JSON.parse(row.audiences) as string[],
    tenant: row.tenant,
    roles: JSON.parse(row.roles) as string[],
    admin: Number(row.admin) === 1,
    mayIntrospect: Number(row.may_introspect) === 1,
    tokenTtlMs: numberOrNull(row.token_ttl_ms),
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    createdAt: Number(row.created_at),
    createdBy: row.created_by,
    disabledAt: numberOrNull(row.disabled_at),
    updatedAt: Number(row.updated_at),
  };
}

function toRow(record: OAuthClientRecord): OAuthClientTable {
  return {
    id: record.id,
    name: record.name,
    secret_hash: record.secret?.hash ?? null,
    secret_salt: record.secret?.salt ?? null,
    previous_secret_hash: record.previousSecret?.hash ?? null,
    previous_secret_salt: record.previousSecret?.salt ?? null,
    previous_secret_expires_at: record.previousSecret?.expiresAt ?? null,
    auth_method: record.authMethod,
    jwks: record.jwks === null ? null : JSON.stringify(record.jwks),
    grant_types: JSON.stringify(record.grantTypes),
    scopes: JSON.stringify(record.scopes),
    audiences: JSON.stringify(record.audiences),
    tenant: record.tenant,
    roles: JSON.stringify(record.roles),
    admin: record.admin ? 1 : 0,
    may_introspect: record.mayIntrospect ? 1 : 0,
    token_ttl_ms: record.tokenTtlMs,
    metadata: JSON.stringify(record.metadata),
    created_at: record.createdAt,
    created_by: record.createdBy,
    disabled_at: record.disabledAt,
    updated_at: record.updatedAt,
  };
}

/**
 * The `oauth_clients` table. Changes are compare-and-set on the state they change, so two processes changing one
 * client at once cannot both succeed silently (one gets false and answers `conflict`).
 */
export class OAuthClientRepository {
  constructor(private readonly db: Kysely<DatabaseSchema>) {}

  async insert(record: OAuthClientRecord): Promise<void> {
    await this.db.insertInto('oauth_clients').values(toRow(record)).execute();
  }

  async findById(id: string): Promise<OAuthClientRecord | null> {
    const row = await this.db.selectFrom('oauth_clients').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? fromRow(row) : null;
  }

  async list(filter: OAuthClientFilter = {}): Promise<OAuthClientRecord[]> {
    let query = this.db
      .selectFrom('oauth_clients')
      .selectAll()
      .orderBy('id')
      .limit(filter.limit ?? 100);
    if (filter.after !== undefined) query = query.where('id', '>', filter.after);
    if (filter.status === 'active') query = query.where('disabled_at', 'is', null);
    if (filter.status === 'disabled') query = query.where('disabled_at', 'is not', null);
    return (await query.execute()).map(fromRow);
  }

  /**
   * Replaces the secret, if it is still `expected` (the digest the caller read): the replaced one becomes the
   * previous secret until `previous.expiresAt`, or none when `previous` is null. False when the client is gone or
   * its secret changed meanwhile.
   */
  async replaceSecret(
    id: string,
    expected: StoredSecret,
    next: StoredSecret,
    previous: (StoredSecret & { expiresAt: number }) | null,
    now: number,
  ): Promise<boolean> {
    const result = await this.db
      .updateTable('oauth_clients')
      .set({
        secret_hash: next.hash,
        secret_salt: next.salt,
        previous_secret_hash: previous?.hash ?? null,
        previous_secret_salt: previous?.salt ?? null,
        previous_secret_expires_at: previous?.expiresAt ?? null,
        updated_at: now,
      })
      .where('id', '=', id)
      .where('secret_hash', '=', expected.hash)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Disables (`disabledAt` a time) or enables (null) a client; false when it is gone or already in that state. */
  async setDisabled(id: string, disabledAt: number | null, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable('oauth_clients')
      .set({ disabled_at: disabledAt, updated_at: now })
      .where('id', '=', id)
      .where('disabled_at', disabledAt === null ? 'is not' : 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Deletes a client; false when there was none. */
  async delete(id: string): Promise<boolean> {
    const result = await this.db.deleteFrom('oauth_clients').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }
}
