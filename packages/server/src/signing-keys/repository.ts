import type { JWK } from 'jose';
import type { Kysely, Selectable } from 'kysely';
import type { DatabaseSchema, SigningKeyTable } from '../store/schema.js';
import type { SigningAlgorithm } from './algorithms.js';

/**
 * A signing key as stored. Its state is a function of time alone: published from `publishedAt`, signing from
 * `activatedAt` until `retiredAt`, published until `expiresAt`. A rotation sets the old key's `retiredAt` to the
 * new key's `activatedAt`, so the switch happens on time on every instance without another write.
 */
export interface SigningKeyRecord {
  kid: string;
  /** The kid of the key this one replaces; null for the first key. */
  predecessor: string | null;
  algorithm: SigningAlgorithm;
  publicJwk: JWK;
  /** `v1.<iv>.<ciphertext>.<tag>`: see encryption.ts. Never leaves the server. */
  privateKeyEncrypted: string;
  createdAt: number;
  publishedAt: number;
  activatedAt: number;
  retiredAt: number | null;
  expiresAt: number | null;
}

/** The predecessor column's value for the first key: unique like every other, so only one first key exists. */
const FIRST = '';

function fromRow(row: Selectable<SigningKeyTable>): SigningKeyRecord {
  return {
    kid: row.kid,
    predecessor: row.predecessor === FIRST ? null : row.predecessor,
    algorithm: row.algorithm as SigningAlgorithm,
    publicJwk: JSON.parse(row.public_jwk) as JWK,
    privateKeyEncrypted: row.private_key_encrypted,
    createdAt: Number(row.created_at),
    publishedAt: Number(row.published_at),
    activatedAt: Number(row.activated_at),
    retiredAt: row.retired_at === null ? null : Number(row.retired_at),
    expiresAt: row.expires_at === null ? null : Number(row.expires_at),
  };
}

function toRow(record: SigningKeyRecord, updatedAt: number): SigningKeyTable {
  return {
    kid: record.kid,
    predecessor: record.predecessor ?? FIRST,
    algorithm: record.algorithm,
    public_jwk: JSON.stringify(record.publicJwk),
    private_key_encrypted: record.privateKeyEncrypted,
    created_at: record.createdAt,
    published_at: record.publishedAt,
    activated_at: record.activatedAt,
    retired_at: record.retiredAt,
    expires_at: record.expiresAt,
    updated_at: updatedAt,
  };
}

/**
 * Newest first by the chain of rotations (each key after its successor), not by clock: keys created in the same
 * millisecond, or by instances whose clocks differ, still list in the order they replaced each other.
 */
function newestFirst(records: SigningKeyRecord[]): SigningKeyRecord[] {
  const byKid = new Map(records.map((record) => [record.kid, record]));
  const depth = (record: SigningKeyRecord) => {
    let hops = 0;
    for (let at = record; at.predecessor !== null && byKid.has(at.predecessor); at = byKid.get(at.predecessor)!) {
      hops++;
    }
    return hops;
  };
  const depths = new Map(records.map((record) => [record.kid, depth(record)]));
  return records.sort((a, b) => depths.get(b.kid)! - depths.get(a.kid)!);
}

/**
 * The `signing_keys` table. Every write that could race with another instance is decided by the store: the
 * unique `predecessor` column lets a key have one successor at most, and updates are conditional.
 */
export class SigningKeyRepository {
  constructor(private readonly db: Kysely<DatabaseSchema>) {}

  /** Every key, newest first (expired ones included: `warden signing-keys list` shows the history). */
  async list(): Promise<SigningKeyRecord[]> {
    const rows = await this.db.selectFrom('signing_keys').selectAll().execute();
    return newestFirst(rows.map(fromRow));
  }

  /** The keys still published at `now` (not past `expiresAt`), newest first: what the JWKS and the signer use. */
  async unexpired(now: number): Promise<SigningKeyRecord[]> {
    const rows = await this.db
      .selectFrom('signing_keys')
      .selectAll()
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
      .execute();
    return newestFirst(rows.map(fromRow));
  }

  /** True when no key exists yet: a new deployment. */
  async isEmpty(): Promise<boolean> {
    const row = await this.db.selectFrom('signing_keys').select('kid').limit(1).executeTakeFirst();
    return row === undefined;
  }

  /**
   * The newest key of the chain: the one no key names as its predecessor. It is the active key, or the next key
   * while a rotation waits for its activation time. Null when there is no key at all.
   */
  async head(): Promise<SigningKeyRecord | null> {
    const row = await this.db
      .selectFrom('signing_keys as key')
      .selectAll('key')
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('signing_keys as successor')
              .select('successor.kid')
              .whereRef('successor.predecessor', '=', 'key.kid'),
          ),
        ),
      )
      .executeTakeFirst();
    return row === undefined ? null : fromRow(row);
  }

  /**
   * Inserts the first key, unless one exists (another instance was first). True when this one was inserted.
   */
  async insertFirst(record: SigningKeyRecord, now: number): Promise<boolean> {
    const result = await this.db
      .insertInto('signing_keys')
      .values(toRow({ ...record, predecessor: null }, now))
      .onConflict((oc) => oc.column('predecessor').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
  }

  /**
   * Publishes `next` as the successor of `next.predecessor` and retires that key when `next` activates, in one
   * transaction. When the predecessor already has a successor (another instance rotated at the same moment),
   * nothing is written and the answer is false.
   */
  async insertSuccessor(next: SigningKeyRecord, retiredExpiresAt: number, now: number): Promise<boolean> {
    const predecessor = next.predecessor;
    if (predecessor === null) throw new Error('insertSuccessor needs a predecessor');
    return this.db.transaction().execute(async (trx) => {
      const inserted = await trx
        .insertInto('signing_keys')
        .values(toRow(next, now))
        .onConflict((oc) => oc.column('predecessor').doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) !== 1) return false;
      await trx
        .updateTable('signing_keys')
        .set({ retired_at: next.activatedAt, expires_at: retiredExpiresAt, updated_at: now })
        .where('kid', '=', predecessor)
        .execute();
      return true;
    });
  }

  /**
   * Activates a published next key at `now` instead of its scheduled time, and retires its predecessor at the
   * same moment (`rotate --now` while a rotation is pending). False when it is no longer pending.
   */
  async activateNow(next: SigningKeyRecord, retiredExpiresAt: number, now: number): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const activated = await trx
        .updateTable('signing_keys')
        .set({ activated_at: now, updated_at: now })
        .where('kid', '=', next.kid)
        .where('activated_at', '>', now)
        .executeTakeFirst();
      if (Number(activated.numUpdatedRows) !== 1) return false;
      if (next.predecessor !== null) {
        await trx
          .updateTable('signing_keys')
          .set({ retired_at: now, expires_at: retiredExpiresAt, updated_at: now })
          .where('kid', '=', next.predecessor)
          .execute();
      }
      return true;
    });
  }

  async find(kid: string): Promise<SigningKeyRecord | null> {
    const row = await this.db.selectFrom('signing_keys').selectAll().where('kid', '=', kid).executeTakeFirst();
    return row === undefined ? null : fromRow(row);
  }
}
