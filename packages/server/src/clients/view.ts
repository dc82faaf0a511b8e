import type { ClientAuthMethod, ClientGrantType, ClientJwks } from './inputs.js';
import type { OAuthClientRecord } from './repository.js';

export type OAuthClientStatus = 'active' | 'disabled';

/** An OAuth 2.0 client as the admin API and CLI show it: no secret, salt or digest ever appears here. */
export interface OAuthClientView {
  id: string;
  name: string;
  status: OAuthClientStatus;
  authMethod: ClientAuthMethod;
  /** The public keys of a private_key_jwt client (public, so shown); null for the others. */
  jwks: ClientJwks | null;
  grantTypes: ClientGrantType[];
  scopes: string[];
  audiences: string[];
  tenant: string | null;
  roles: string[];
  admin: boolean;
  /** May call the introspection endpoint (`POST /oauth2/introspect`). */
  introspect: boolean;
  /** Lifetime of its access tokens; null: `tokens.access_token_ttl`. */
  tokenTtlSeconds: number | null;
  metadata: Record<string, unknown>;
  createdAt: string;
  createdBy: string | null;
  disabledAt: string | null;
  updatedAt: string;
  /** Until when the secret a rotation replaced still works; null when it no longer does. */
  previousSecretExpiresAt: string | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function toClientView(record: OAuthClientRecord, now: number): OAuthClientView {
  const previousExpiresAt = record.previousSecret?.expiresAt ?? null;
  return {
    id: record.id,
    name: record.name,
    status: record.disabledAt === null ? 'active' : 'disabled',
    authMethod: record.authMethod,
    jwks: record.jwks,
    grantTypes: record.grantTypes,
    scopes: record.scopes,
    audiences: record.audiences,
    tenant: record.tenant,
    roles: record.roles,
    admin: record.admin,
    introspect: record.mayIntrospect,
    tokenTtlSeconds: record.tokenTtlMs === null ? null : Math.floor(record.tokenTtlMs / 1000),
    metadata: record.metadata,
    createdAt: iso(record.createdAt)!,
    createdBy: record.createdBy,
    disabledAt: iso(record.disabledAt),
    updatedAt: iso(record.updatedAt)!,
    previousSecretExpiresAt: previousExpiresAt !== null && previousExpiresAt > now ? iso(previousExpiresAt) : null,
  };
}
