import type { Generated } from 'kysely';

/** Table shapes as Kysely sees them. Times are epoch milliseconds; booleans are 0/1; lists and maps are JSON text. */
export interface ApiKeyTable {
  id: string;
  prefix: string;
  name: string | null;
  subject: string;
  subject_type: string;
  tenant: string | null;
  admin: number;
  roles: string;
  scopes: string;
  metadata: string;
  salt: string;
  secret_hash: string;
  created_at: number;
  created_by: string | null;
  expires_at: number | null;
  revoked_at: number | null;
  revoked_reason: string | null;
  last_used_at: number | null;
  rotated_from: string | null;
  rotated_to: string | null;
  updated_at: number;
}

export interface AuditEventTable {
  id: Generated<number>;
  at: number;
  action: string;
  outcome: string;
  actor: string | null;
  target_type: string | null;
  target_id: string | null;
  reason: string | null;
  peer: string | null;
  details: string | null;
}

export interface SettingTable {
  name: string;
  value: string;
}

export interface DatabaseSchema {
  api_keys: ApiKeyTable;
  audit_events: AuditEventTable;
  settings: SettingTable;
}
