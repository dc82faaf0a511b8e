import type { Kysely } from 'kysely';
import type { DatabaseSchema } from '../../store/schema.js';

export interface PinRecord {
  subject: string;
  /** SPKI DER. */
  spki: Buffer;
  spkiSha256: string;
  /** Granted to the principal of a certificate that matches the pin. */
  scopes: string[];
  roles: string[];
  tenant: string | null;
  createdAt: number;
  createdBy: string | null;
}

/** The `certificate_pins` table: one public key per certificate subject. */
export class PinRepository {
  constructor(private readonly db: Kysely<DatabaseSchema>) {}

  async find(subject: string): Promise<PinRecord | null> {
    const row = await this.db
      .selectFrom('certificate_pins')
      .selectAll()
      .where('subject', '=', subject)
      .executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  async list(): Promise<PinRecord[]> {
    const rows = await this.db.selectFrom('certificate_pins').selectAll().orderBy('subject').execute();
    return rows.map(toRecord);
  }

  /** Pins `spki` for the subject, replacing any key pinned before: whether one was replaced. */
  async upsert(record: PinRecord, now: number): Promise<{ replaced: boolean }> {
    return this.db.transaction().execute(async (tx) => {
      const existing = await tx
        .selectFrom('certificate_pins')
        .select('subject')
        .where('subject', '=', record.subject)
        .executeTakeFirst();
      const values = {
        public_key: record.spki.toString('base64'),
        spki_sha256: record.spkiSha256,
        scopes: JSON.stringify(record.scopes),
        roles: JSON.stringify(record.roles),
        tenant: record.tenant,
        updated_at: now,
      };
      if (existing) {
        await tx.updateTable('certificate_pins').set(values).where('subject', '=', record.subject).execute();
      } else {
        await tx
          .insertInto('certificate_pins')
          .values({ subject: record.subject, ...values, created_at: record.createdAt, created_by: record.createdBy })
          .onConflict((conflict) => conflict.column('subject').doUpdateSet(values))
          .execute();
      }
      return { replaced: existing !== undefined };
    });
  }

  /** Deletes the pin of `subject`: whether there was one. */
  async delete(subject: string): Promise<boolean> {
    const result = await this.db.deleteFrom('certificate_pins').where('subject', '=', subject).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}

function toRecord(row: DatabaseSchema['certificate_pins']): PinRecord {
  return {
    subject: row.subject,
    spki: Buffer.from(row.public_key, 'base64'),
    spkiSha256: row.spki_sha256,
    scopes: JSON.parse(row.scopes) as string[],
    roles: JSON.parse(row.roles) as string[],
    tenant: row.tenant,
    createdAt: Number(row.created_at),
    createdBy: row.created_by,
  };
}
