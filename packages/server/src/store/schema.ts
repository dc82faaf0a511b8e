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
  /** 1: the client may call the introspection endpoint (RFC 7662) about any credential. */
  may_introspect: number;
}

/**
 * One refresh token (opaque, RFC 6749 section 6) of a family: the tokens that descend from one grant by rotation.
 * Only an HMAC-SHA256 digest of its secret is stored. `access_jti` is the access token issued with it, so revoking
 * the family can deny-list the access tokens of the grant too (SECURITY.md #30).
 */
export interface RefreshTokenTable {
  id: string;
  family_id: string;
  client_id: string;
  subject: string;
  secret_hash: string;
  secret_salt: string;
  scopes: string;
  audience: string;
  access_jti: string;
  access_expires_at: number;
  created_at: number;
  /** When this token expires unused (idle lifetime, never past the family's). */
  expires_at: number;
  /** When the family ends, however often it rotates (absolute lifetime). */
  family_expires_at: number;
  /** When it was exchanged for its successor: presenting it again is a replay. */
  rotated_at: number | null;
  revoked_at: number | null;
  revoked_reason: string | null;
}

/** Access tokens revoked before their `exp` (the jti deny-list), kept until then. */
export interface RevokedTokenTable {
  jti: string;
  expires_at: number;
  revoked_at: number;
}

/** The `jti` of every private_key_jwt client assertion accepted, until it expires: a second use is a replay. */
export interface ClientAssertionJtiTable {
  client_id: string;
  jti: string;
  expires_at: number;
}

export interface CertificatePinTable {
  /** The certificate subject (its O, or CN) the key is pinned for. */
  subject: string;
  /** Base64 of the SPKI DER. */
  public_key: string;
  spki_sha256: string;
  /** What the principal of a certificate matching the pin holds (JSON lists, and a tenant or null). */
  scopes: string;
  roles: string;
  tenant: string | null;
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
  refresh_tokens: RefreshTokenTable;
  revoked_tokens: RevokedTokenTable;
  client_assertion_jtis: ClientAssertionJtiTable;
  certificate_pins: CertificatePinTable;
}
