import { randomBytes } from 'node:crypto';
import type { TokenSigner } from '../tokens/signer.js';
import type { OAuthClientRecord } from './repository.js';

/** The successful token response (RFC 6749 section 5.1). */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  /** The granted scopes, space-separated; absent when the token carries none. */
  scope?: string;
  /** Present for clients registered with the refresh_token grant. */
  refresh_token?: string;
}

/** An access token just signed, with what revocation and refresh tokens need to know of it. */
export interface IssuedAccessToken {
  token: string;
  jti: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  lifetimeSeconds: number;
  scopes: readonly string[];
}

export interface AccessTokenIssuerOptions {
  signer: TokenSigner;
  /** Lifetime of access tokens for clients without one of their own (`tokens.access_token_ttl`), in ms. */
  defaultTtlMs: number;
  now: () => number;
}

/**
 * Signs Warden's access tokens, whatever the grant: JWTs by RFC 9068 (`typ: at+jwt`; `iss`, `sub`, `aud`, `iat`,
 * `exp`, a random `jti`, `client_id`, `scope`, and the client's `tenant`, `roles` and `admin` when it has them),
 * with the active signing key. The client's claims are read at issue time, so a refresh picks up a changed role.
 */
export class AccessTokenIssuer {
  constructor(private readonly options: AccessTokenIssuerOptions) {}

  get issuer(): string {
    return this.options.signer.issuer;
  }

  async issue(
    client: OAuthClientRecord,
    grant: { subject: string; scopes: readonly string[]; audience: string },
  ): Promise<IssuedAccessToken> {
    const { signer, defaultTtlMs, now } = this.options;
    const issuedAt = Math.floor(now() / 1000);
    const lifetimeSeconds = Math.floor((client.tokenTtlMs ?? defaultTtlMs) / 1000);
    const scope = grant.scopes.join(' ');
    const jti = randomBytes(16).toString('base64url');
    const token = await signer.sign(
      {
        sub: grant.subject,
        aud: grant.audience,
        iat: issuedAt,
        exp: issuedAt + lifetimeSeconds,
        jti,
        client_id: client.id,
        ...(scope !== '' ? { scope } : {}),
        ...(client.tenant !== null ? { tenant: client.tenant } : {}),
        ...(client.roles.length > 0 ? { roles: client.roles } : {}),
        ...(client.admin ? { admin: true } : {}),
      },
      'at+jwt',
    );
    return { token, jti, expiresAt: (issuedAt + lifetimeSeconds) * 1000, lifetimeSeconds, scopes: grant.scopes };
  }
}

/** The token response for an access token, and a refresh token when one was issued with it. */
export function tokenResponse(issued: IssuedAccessToken, refreshToken?: string): TokenResponse {
  const scope = issued.scopes.join(' ');
  return {
    access_token: issued.token,
    token_type: 'Bearer',
    expires_in: issued.lifetimeSeconds,
    ...(scope !== '' ? { scope } : {}),
    ...(refreshToken !== undefined ? { refresh_token: refreshToken } : {}),
  };
}
