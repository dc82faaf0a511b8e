import type { Principal } from '@warden/sdk';
import { decodeJwt } from 'jose';
import { looksLikeJwt } from '../authn/presented.js';
import type { AuthResult } from '../authn/types.js';
import type { OAuthClientRecord } from '../clients/repository.js';
import { looksLikeRefreshToken } from '../refresh-tokens/format.js';
import type { RefreshTokenRecord } from '../refresh-tokens/repository.js';
import type { RefreshTokenService } from '../refresh-tokens/service.js';
import type { TokenRejection, VerifiedToken } from '../tokens/token-verifier.js';
import type { MaybePromise } from '../util/maybe-promise.js';

/** What introspection and revocation need from the capabilities that know each kind of credential. */
export interface CredentialSources {
  /** Warden's issuer URL (the `iss` of its tokens). */
  issuer: string;
  /** Verifies one of Warden's access tokens in full, of any audience, deny-list included. */
  verifyOwnToken(token: string): Promise<VerifiedToken | TokenRejection>;
  refreshTokens: RefreshTokenService;
  findClient(clientId: string): Promise<OAuthClientRecord | null>;
  /** Verifies an API key as the decision path does. */
  verifyKey(key: string): MaybePromise<AuthResult>;
}

/** A credential that is valid now, with what introspection says about it. */
export type ActiveCredential =
  | { kind: 'access_token'; claims: Record<string, unknown>; jti: string; expiresAt: number }
  | { kind: 'refresh_token'; record: RefreshTokenRecord }
  | { kind: 'api_key'; principal: Principal };

/**
 * Which credential a presented token is, and whether it is valid now: a Warden access token (JWT), a refresh
 * token (`wrt_`), or an API key; null for anything else, including tokens of other issuers (RFC 7662 is about
 * this server's tokens). The formats tell themselves apart, so a `token_type_hint` is never needed.
 */
export async function activeCredential(sources: CredentialSources, token: string): Promise<ActiveCredential | null> {
  if (looksLikeJwt(token)) {
    const verified = await sources.verifyOwnToken(token);
    if (!('principal' in verified) || verified.revocableId === undefined) return null;
    // Verified above: the claims are Warden's own.
    return { kind: 'access_token', claims: decodeJwt(token), jti: verified.revocableId, expiresAt: verified.expiresAt };
  }
  if (looksLikeRefreshToken(token)) {
    const record = await sources.refreshTokens.active(token);
    if (record === null) return null;
    // A disabled or deleted client's refresh tokens cannot be used: they are not active.
    const client = await sources.findClient(record.clientId);
    return client !== null && client.disabledAt === null ? { kind: 'refresh_token', record } : null;
  }
  // Anything else is tried as an API key: its parser refuses what is not one without reading the store.
  const result = await sources.verifyKey(token);
  return result.ok ? { kind: 'api_key', principal: result.principal } : null;
}

const seconds = (ms: number) => Math.floor(ms / 1000);

/** The RFC 7662 section 2.2 answer for an active credential: its claims, never the credential itself. */
export function introspectionAnswer(issuer: string, credential: ActiveCredential): Record<string, unknown> {
  switch (credential.kind) {
    case 'access_token': {
      const { iss, sub, aud, exp, iat, nbf, jti, client_id, scope, tenant, roles, admin } = credential.claims;
      return {
        active: true,
        token_type: 'Bearer',
        ...Object.fromEntries(
          Object.entries({ iss, sub, aud, exp, iat, nbf, jti, client_id, scope, tenant, roles, admin }).filter(
            ([, value]) => value !== undefined,
          ),
        ),
      };
    }
    case 'refresh_token': {
      const { record } = credential;
      return {
        active: true,
        token_type: 'refresh_token',
        iss: issuer,
        sub: record.subject,
        client_id: record.clientId,
        aud: record.audience,
        iat: seconds(record.createdAt),
        exp: seconds(Math.min(record.expiresAt, record.familyExpiresAt)),
        ...(record.scopes.length > 0 ? { scope: record.scopes.join(' ') } : {}),
      };
    }
    case 'api_key': {
      const { principal } = credential;
      const expiresAt = principal.credential.expiresAt;
      return {
        active: true,
        token_type: 'api_key',
        iss: issuer,
        sub: principal.subject,
        subject_type: principal.subjectType,
        key_id: principal.credential.id,
        ...(expiresAt ? { exp: seconds(Date.parse(expiresAt)) } : {}),
        ...(principal.scopes.length > 0 ? { scope: principal.scopes.join(' ') } : {}),
        ...(principal.tenant !== null ? { tenant: principal.tenant } : {}),
        ...(principal.roles.length > 0 ? { roles: principal.roles } : {}),
        ...(principal.admin ? { admin: true } : {}),
      };
    }
  }
}
