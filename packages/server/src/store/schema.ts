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

export interface SigningKeyTable {
  kid: string;
  /** The kid of the key this one replaces; '' for the first key. Unique: one successor per key. */
  predecessor: string;
  algorithm: string;
  public_jwk: string;
  private_key_encrypted: string;
  created_at: number;
  published_at: number;
  activated_at: number;
  retired_at: number | null;
  expires_at: number | null;
  updated_at: number;
}

export interface OAuthClientTable {
  id: string;
  name: string;
  secret_hash: string | null;
  secret_salt: string | null;
  previous_secret_hash: string | null;
  previous_secret_salt: string | null;
  previous_secret_expires_at: number | null;
  /** client_secret_basic, client_secret_post or private_key_jwt. */
  auth_method: string;
  /** The registered JWKS (JSON) of a private_key_jwt client. */
  jwks: string | null;
  grant_types: string;
  scopes: string;
  audiences: string;
  tenant: string | null;
  roles: string;
  admin: number;
  token_ttl_ms: number | null;
  metadata: string;
  created_at: number;
  created_by: string | null;
  disabled_at: number | null;
  updated_at: number;
}

export interface CertificatePinTable {
  /** The certificate subject (its O, or CN) the key is pinned for. */
  subject: string;
  /** Base64 of the SPKI DER. */
  public_key: string;
  spki_sha256: string;
  created_at: number;
  created_by: string | null;
  updated_at: number;
}

export interface DatabaseSchema {
  api_keys: ApiKeyTable;
  audit_events: AuditEventTable;
  settings: SettingTable;
  signing_keys: SigningKeyTable;
  oauth_clients: OAuthClientTable;
  certificate_pins: CertificatePinTable;
}
