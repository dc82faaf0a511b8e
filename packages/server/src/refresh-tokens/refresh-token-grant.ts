import { type AccessTokenIssuer, type TokenResponse, tokenResponse } from '../clients/access-token-issuer.js';
import { requestedScopes } from '../clients/client-credentials-grant.js';
import type { OAuthClientRecord } from '../clients/repository.js';
import type { TokenGrant, TokenRequestParameters } from '../clients/token-grant.js';
import { WardenError } from '../errors/warden-error.js';
import type { RefreshTokenService } from './service.js';

/**
 * The scopes of a refreshed token (RFC 6749 section 6): those asked for, none beyond the original grant
 * (`invalid_scope`), or the original grant's when none are asked for; and only those the client may still have,
 * so a scope taken from the client since the grant is not renewed.
 */
function refreshedScopes(client: OAuthClientRecord, granted: readonly string[], requested: string | undefined) {
  const asked =
    requested === undefined ? granted : requestedScopes(requested, granted, 'were not part of the original grant');
  const allowed = new Set(client.scopes);
  return asked.filter((item) => allowed.has(item));
}

/**
 * The refresh token grant (RFC 6749 section 6): the presented refresh token is exchanged, once, for a new access
 * token and the next refresh token of its family (rotation, RFC 9700 section 4.14.2). The audience stays the
 * original grant's, while the client may still get tokens for it; claims (tenant, roles, admin) are the client's
 * as they are now.
 */
export class RefreshTokenGrant implements TokenGrant {
  readonly grantType = 'refresh_token' as const;

  constructor(
    private readonly issuer: AccessTokenIssuer,
    private readonly refreshTokens: RefreshTokenService,
  ) {}

  async issue(client: OAuthClientRecord, parameters: TokenRequestParameters, peer: string): Promise<TokenResponse> {
    const presented = parameters.one('refresh_token');
    if (presented === undefined) throw new WardenError('invalid_request', 'refresh_token is required.');
    const requested = parameters.one('scope');
    const audiences = client.audiences.length > 0 ? client.audiences : [this.issuer.issuer];
    // Checked before the token is spent, so a request that cannot succeed does not rotate it.
    const { record, checked: scopes } = await this.refreshTokens.redeem(presented, client, peer, (found) => {
      if (!audiences.includes(found.audience)) {
        throw new WardenError('invalid_grant', 'The client may no longer get tokens for the audience of this grant.');
      }
      return refreshedScopes(client, found.scopes, requested);
    });
    const access = await this.issuer.issue(client, { subject: record.subject, scopes, audience: record.audience });
    const refreshToken = await this.refreshTokens.issue({
      client,
      subject: record.subject,
      scopes: record.scopes,
      audience: record.audience,
      access: { jti: access.jti, expiresAt: access.expiresAt },
      family: { id: record.familyId, expiresAt: record.familyExpiresAt },
    });
    return tokenResponse(access, refreshToken);
  }
}
