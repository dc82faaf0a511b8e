import type { ApiKeyRecord } from '../store/api-keys.js';

export type ApiKeyStatus = 'active' | 'expired' | 'revoked';

/** An API key as the admin API and CLI show it: no secret, salt or digest ever appears here. */
export interface ApiKeyView {
  id: string;
  prefix: string;
  name: string | null;
  subject: string;
  subjectType: string;
  tenant: string | null;
  admin: boolean;
  roles: string[];
  scopes: string[];
  metadata: Record<string, unknown>;
  status: ApiKeyStatus;
  createdAt: string;
  createdBy: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
  revokedReason: string | null;
  lastUsedAt: string | null;
  rotatedFrom: string | null;
  rotatedTo: string | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function statusOf(record: ApiKeyRecord, now: number): ApiKeyStatus {
  if (record.revokedAt !== null) return 'revoked';
  if (record.expiresAt !== null && record.expiresAt <= now) return 'expired';
  return 'active';
}

export function toApiKeyView(record: ApiKeyRecord, now: number, pendingLastUsed?: number): ApiKeyView {
  const lastUsed = Math.max(record.lastUsedAt ?? 0, pendingLastUsed ?? 0);
  return {
    id: record.id,
    prefix: record.prefix,
    name: record.name,
    subject: record.subject,
    subjectType: record.subjectType,
    tenant: record.tenant,
    admin: record.admin,
    roles: record.roles,
    scopes: record.scopes,
    metadata: record.metadata,
    status: statusOf(record, now),
    createdAt: iso(record.createdAt)!,
    createdBy: record.createdBy,
    expiresAt: iso(record.expiresAt),
    revokedAt: iso(record.revokedAt),
    revokedReason: record.revokedReason,
    lastUsedAt: lastUsed > 0 ? iso(lastUsed) : null,
    rotatedFrom: record.rotatedFrom,
    rotatedTo: record.rotatedTo,
  };
}
