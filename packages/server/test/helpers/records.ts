import type { ApiKeyRecord } from '../../src/store/api-keys.js';

/** An API key record as the store holds it, for tests that write rows directly; `overrides` win. */
export function apiKeyRecord(id: string, overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return {
    id,
    prefix: 'wdn',
    name: `key ${id}`,
    subject: 'svc-a',
    subjectType: 'service',
    tenant: 't1',
    admin: false,
    roles: ['reader'],
    scopes: ['orders.read'],
    metadata: { team: 'payments', nested: { a: 1 } },
    salt: 'salt',
    secretHash: 'f'.repeat(64),
    createdAt: 1_000,
    createdBy: 'test',
    expiresAt: null,
    revokedAt: null,
    revokedReason: null,
    lastUsedAt: null,
    rotatedFrom: null,
    rotatedTo: null,
    ...overrides,
  };
}
