import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import type { DialectName } from './database.js';

/**
 * One migration set for both dialects. Only the auto-increment column differs; everything else uses types
 * both understand (text, integer, bigint).
 */
function migrations(dialect: DialectName): Record<string, Migration> {
  return {
    '0001_api_keys_audit_settings': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('api_keys')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('prefix', 'text', (c) => c.notNull())
          .addColumn('name', 'text')
          .addColumn('subject', 'text', (c) => c.notNull())
          .addColumn('subject_type', 'text', (c) => c.notNull())
          .addColumn('tenant', 'text')
          .addColumn('admin', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('roles', 'text', (c) => c.notNull())
          .addColumn('scopes', 'text', (c) => c.notNull())
          .addColumn('metadata', 'text', (c) => c.notNull())
          .addColumn('salt', 'text', (c) => c.notNull())
          .addColumn('secret_hash', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('created_by', 'text')
          .addColumn('expires_at', 'bigint')
          .addColumn('revoked_at', 'bigint')
          .addColumn('revoked_reason', 'text')
          .addColumn('last_used_at', 'bigint')
          .addColumn('rotated_from', 'text')
          .addColumn('rotated_to', 'text')
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('api_keys_subject').on('api_keys').column('subject').execute();
        await db.schema.createIndex('api_keys_tenant').on('api_keys').column('tenant').execute();
        // The change poller reads "what changed since T" several times a second.
        await db.schema.createIndex('api_keys_updated_at').on('api_keys').column('updated_at').execute();

        await db.schema
          .createTable('audit_events')
          .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (c) =>
            dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
          )
          .addColumn('at', 'bigint', (c) => c.notNull())
          .addColumn('action', 'text', (c) => c.notNull())
          .addColumn('outcome', 'text', (c) => c.notNull())
          .addColumn('actor', 'text')
          .addColumn('target_type', 'text')
          .addColumn('target_id', 'text')
          .addColumn('reason', 'text')
          .addColumn('peer', 'text')
          .addColumn('details', 'text')
          .execute();
        await db.schema.createIndex('audit_events_at').on('audit_events').column('at').execute();
        await db.schema
          .createIndex('audit_events_target')
          .on('audit_events')
          .columns(['target_type', 'target_id'])
          .execute();

        await db.schema
          .createTable('settings')
          .addColumn('name', 'text', (c) => c.primaryKey())
          .addColumn('value', 'text', (c) => c.notNull())
          .execute();
      },
      async down(db: Kysely<unknown>) {
        await db.schema.dropTable('settings').execute();
        await db.schema.dropTable('audit_events').execute();
        await db.schema.dropTable('api_keys').execute();
      },
    },
    '0002_signing_keys_oauth_clients': {
      async up(db: Kysely<unknown>) {
        // Keys that sign Warden's JWTs. The private part is AES-256-GCM under the master key; the public JWK is
        // plain. A key is published (in the JWKS) from `published_at`, signs from `activated_at` until
        // `retired_at`, and stays published until `expires_at`, when every token it signed has expired.
        await db.schema
          .createTable('signing_keys')
          .addColumn('kid', 'text', (c) => c.primaryKey())
          .addColumn('algorithm', 'text', (c) => c.notNull())
          .addColumn('public_jwk', 'text', (c) => c.notNull())
          .addColumn('private_key_encrypted', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('published_at', 'bigint', (c) => c.notNull())
          .addColumn('activated_at', 'bigint', (c) => c.notNull())
          .addColumn('retired_at', 'bigint')
          .addColumn('expires_at', 'bigint')
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('signing_keys_updated_at').on('signing_keys').column('updated_at').execute();

        // OAuth 2.0 clients (service accounts). The secret is stored as HMAC-SHA-256 with the pepper, like API
        // keys; lists and maps are JSON text.
        await db.schema
          .createTable('oauth_clients')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('secret_hash', 'text')
          .addColumn('secret_salt', 'text')
          .addColumn('previous_secret_hash', 'text')
          .addColumn('previous_secret_salt', 'text')
          .addColumn('previous_secret_expires_at', 'bigint')
          .addColumn('auth_method', 'text', (c) => c.notNull())
          .addColumn('jwks', 'text')
          .addColumn('grant_types', 'text', (c) => c.notNull())
          .addColumn('scopes', 'text', (c) => c.notNull())
          .addColumn('audiences', 'text', (c) => c.notNull())
          .addColumn('tenant', 'text')
          .addColumn('roles', 'text', (c) => c.notNull())
          .addColumn('admin', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('token_ttl_ms', 'bigint')
          .addColumn('metadata', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('created_by', 'text')
          .addColumn('disabled_at', 'bigint')
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('oauth_clients_updated_at').on('oauth_clients').column('updated_at').execute();
      },
      async down(db: Kysely<unknown>) {
        await db.schema.dropTable('oauth_clients').execute();
        await db.schema.dropTable('signing_keys').execute();
      },
    },
    // 0002 landed without this column; the table was empty then (nothing wrote signing keys before this one).
    '0003_signing_key_successors': {
      async up(db: Kysely<unknown>) {
        // The key a key replaces ('' for the first key), unique: a key has at most one successor, so two instances
        // rotating at once cannot both publish a next key (the second insert does nothing).
        await db.schema
          .alterTable('signing_keys')
          .addColumn('predecessor', 'text', (c) => c.notNull().defaultTo(''))
          .execute();
        await db.schema
          .createIndex('signing_keys_predecessor')
          .on('signing_keys')
          .column('predecessor')
          .unique()
          .execute();
      },
      async down(db: Kysely<unknown>) {
        await db.schema.dropIndex('signing_keys_predecessor').execute();
        await db.schema.alterTable('signing_keys').dropColumn('predecessor').execute();
      },
    },
    '0004_refresh_tokens_revocations_assertions': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .alterTable('oauth_clients')
          .addColumn('may_introspect', 'integer', (c) => c.notNull().defaultTo(0))
          .execute();
        // Refresh tokens, by family (one grant and its rotations); the secret as HMAC-SHA256 with the pepper.
        await db.schema
          .createTable('refresh_tokens')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('family_id', 'text', (c) => c.notNull())
          .addColumn('client_id', 'text', (c) => c.notNull())
          .addColumn('subject', 'text', (c) => c.notNull())
          .addColumn('secret_hash', 'text', (c) => c.notNull())
          .addColumn('secret_salt', 'text', (c) => c.notNull())
          .addColumn('scopes', 'text', (c) => c.notNull())
          .addColumn('audience', 'text', (c) => c.notNull())
          .addColumn('access_jti', 'text', (c) => c.notNull())
          .addColumn('access_expires_at', 'bigint', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
          .addColumn('family_expires_at', 'bigint', (c) => c.notNull())
          .addColumn('rotated_at', 'bigint')
          .addColumn('revoked_at', 'bigint')
          .addColumn('revoked_reason', 'text')
          .execute();
        await db.schema.createIndex('refresh_tokens_family').on('refresh_tokens').column('family_id').execute();
        await db.schema.createIndex('refresh_tokens_client').on('refresh_tokens').column('client_id').execute();
        // The jti deny-list: every instance polls "revoked since T".
        await db.schema
          .createTable('revoked_tokens')
          .addColumn('jti', 'text', (c) => c.primaryKey())
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
          .addColumn('revoked_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('revoked_tokens_revoked_at').on('revoked_tokens').column('revoked_at').execute();
        // private_key_jwt assertions seen, by client and jti, until they expire: the primary key makes a second use
        // fail on every instance at once.
        await db.schema
          .createTable('client_assertion_jtis')
          .addColumn('client_id', 'text', (c) => c.notNull())
          .addColumn('jti', 'text', (c) => c.notNull())
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('client_assertion_jtis_pk', ['client_id', 'jti'])
          .execute();
        await db.schema
          .createIndex('client_assertion_jtis_expires_at')
          .on('client_assertion_jtis')
          .column('expires_at')
          .execute();
      },
      async down(db: Kysely<unknown>) {
        await db.schema.dropTable('client_assertion_jtis').execute();
        await db.schema.dropTable('revoked_tokens').execute();
        await db.schema.dropTable('refresh_tokens').execute();
        await db.schema.alterTable('oauth_clients').dropColumn('may_introspect').execute();
      },
    },
    // Public keys pinned per certificate subject (mTLS): the SPKI DER (base64) and its SHA-256, which the
    // authenticator compares. Public keys are not secrets; an unpin deletes the row (and is audited).
    '0005_certificate_pins': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('certificate_pins')
          .addColumn('subject', 'text', (c) => c.primaryKey())
          .addColumn('public_key', 'text', (c) => c.notNull())
          .addColumn('spki_sha256', 'text', (c) => c.notNull())
          .addColumn('scopes', 'text', (c) => c.notNull().defaultTo('[]'))
          .addColumn('roles', 'text', (c) => c.notNull().defaultTo('[]'))
          .addColumn('tenant', 'text')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('created_by', 'text')
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();
      },
      async down(db: Kysely<unknown>) {
        await db.schema.dropTable('certificate_pins').execute();
      },
    },
  };
}

class InCodeMigrationProvider implements MigrationProvider {
  constructor(private readonly dialect: DialectName) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return migrations(this.dialect);
  }
}

export interface MigrationReport {
  applied: string[];
  current: string | null;
}

/** Brings the schema up to date. Safe to run concurrently from several instances (Kysely takes a lock). */
export async function migrateToLatest(db: Kysely<unknown>, dialect: DialectName): Promise<MigrationReport> {
  const migrator = new Migrator({ db, provider: new InCodeMigrationProvider(dialect) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  const applied = (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  const all = await migrator.getMigrations();
  const executed = all.filter((m) => m.executedAt);
  return { applied, current: executed.at(-1)?.name ?? null };
}

/**
 * Whether Warden's migrations have run on this database: it holds a Warden store. Reads only (no migration table
 * is created), so a command that must not create a store can ask.
 */
export async function hasWardenSchema(db: Kysely<unknown>, dialect: DialectName): Promise<boolean> {
  const migrator = new Migrator({ db, provider: new InCodeMigrationProvider(dialect) });
  return (await migrator.getMigrations()).some((migration) => migration.executedAt !== undefined);
}

/** True once the database answers a trivial query: what /readyz reports. */
export async function ping(db: Kysely<unknown>): Promise<void> {
  await sql`select 1`.execute(db);
}
