export type { ApiKeyFilter, ApiKeyRecord } from './api-keys.js';
export { ApiKeyRepository } from './api-keys.js';
export type { AuditAction, AuditEvent, AuditFilter, StoredAuditEvent } from './audit.js';
export { AuditRepository } from './audit.js';
export type { Database, DialectName } from './database.js';
export { openDatabase } from './database.js';
export { migrateToLatest, ping } from './migrations.js';
export { SettingsRepository } from './settings.js';
