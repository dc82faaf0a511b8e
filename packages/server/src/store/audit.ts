import type { Kysely } from 'kysely';
import { z } from 'zod';
import { parseInput } from '../util/parse-input.js';
import type { DatabaseSchema } from './schema.js';

/** What an audit event records. A failed verification names the credential kind in `targetType`. */
export type AuditAction =
  | 'api_key.create'
  | 'api_key.revoke'
  | 'api_key.rotate'
  | 'certificate_pin.create'
  | 'certificate_pin.replace'
  | 'certificate_pin.delete'
  | 'credential.verify_failed'
  | 'oauth_client.create'
  | 'oauth_client.rotate_secret'
  | 'oauth_client.disable'
  | 'oauth_client.enable'
  | 'oauth_client.delete'
  | 'signing_key.create'
  | 'signing_key.rotate'
  | 'refresh_token.revoke'
  | 'access_token.revoke';

/** An audit record. It names keys by id only: never a secret, hash, token or password. */
export interface AuditEvent {
  at: number;
  action: AuditAction;
  outcome: 'success' | 'failure';
  actor?: string | null;
  targetType?: string | null;
  targetId?: string | null;
  reason?: string | null;
  peer?: string | null;
  details?: Record<string, unknown> | null;
}

export interface StoredAuditEvent extends AuditEvent {
  id: number;
}

/** Which events `list` gives: the query of `GET /v1/admin/audit`, and `warden.audit.list(filter)`'s argument. */
export const auditFilterInput = z.strictObject({
  action: z.string().max(100).optional(),
  targetId: z.string().max(100).optional(),
  /** Only events with an id lower than this (newest first paging). */
  before: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export type AuditFilter = z.input<typeof auditFilterInput>;

export class AuditRepository {
  constructor(private readonly db: Kysely<DatabaseSchema>) {}

  async record(event: AuditEvent): Promise<void> {
    await this.db
      .insertInto('audit_events')
      .values({
        at: event.at,
        action: event.action,
        outcome: event.outcome,
        actor: event.actor ?? null,
        target_type: event.targetType ?? null,
        target_id: event.targetId ?? null,
        reason: event.reason ?? null,
        peer: event.peer ?? null,
        details: event.details ? JSON.stringify(event.details) : null,
      })
      .execute();
  }

  async list(input: AuditFilter = {}): Promise<StoredAuditEvent[]> {
    const filter = parseInput(auditFilterInput, input, 'filter');
    let query = this.db.selectFrom('audit_events').selectAll().orderBy('id', 'desc').limit(filter.limit);
    if (filter.action !== undefined) query = query.where('action', '=', filter.action);
    if (filter.targetId !== undefined) query = query.where('target_id', '=', filter.targetId);
    if (filter.before !== undefined) query = query.where('id', '<', filter.before);
    const rows = await query.execute();
    return rows.map((row) => ({
      id: Number(row.id),
      at: Number(row.at),
      action: row.action as AuditAction,
      outcome: row.outcome as 'success' | 'failure',
      actor: row.actor,
      targetType: row.target_type,
      targetId: row.target_id,
      reason: row.reason,
      peer: row.peer,
      details: row.details ? (JSON.parse(row.details) as Record<string, unknown>) : null,
    }));
  }
}
