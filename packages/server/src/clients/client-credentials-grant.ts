import { WardenError } from '../errors/warden-error.js';
import { isScopeToken } from '../identity/names.js';
import type { RefreshTokenService } from '../refresh-tokens/service.js';
import { type AccessTokenIssuer, type TokenResponse, tokenResponse } from './access-token-issuer.js';
import type { OAuthClientRecord } from './repository.js';
import type { TokenGrant, TokenRequestParameters } from './token-grant.js';

/** The audience a token request asks for (RFC 8707 `resource`, or `audience`). */
export interface AudienceRequest {
  /** `audience` (RFC 8693's name, used by many clients): one of the client's audiences. */
  audience?: string | undefined;
  /** `resource` (RFC 8707): an absolute URI, one of the client's audiences. Sent at most once here. */
  resources: readonly string[];
}

/**
 * The `scope` parameter of a token request (RFC 6749 section 3.3) as a list, each scope once, every one of them
 * within `allowed`; anything else is `invalid_scope`, saying `beyond` of the scopes outside it.
 */
export function requestedScopes(requested: string, allowed: readonly string[], beyond: string): string[] {
  const asked = [...new Set(requested.split(' ').filter((item) => item !== ''))];
  if (asked.length === 0 || !asked.every(isScopeToken)) {
    throw new WardenError('invalid_scope', 'scope must be scope tokens separated by spaces.');
  }
  const outside = asked.filter((item) => !allowed.includes(item)).length;
  if (outside > 0) throw new WardenError('invalid_scope', `${outside} requested scope(s) ${beyond}.`);
  return asked;
}

/**
 * The scopes a token gets: those asked for, each one the client may have, or all of the client's when none are
 * asked for.
 */
export function grantedScopes(client: OAuthClientRecord, requested: string | undefined): string[] {
  if (requested === undefined) return client.scopes;
  return requestedScopes(requested, client.scopes, 'are not allowed for this client');
}

/**
 * The one audience (`aud`) of a token: the `audience` or `resource` asked for, which must be one of the client's
 * audiences (the issuer itself when it has none), or by default its first. RFC 8707 and RFC 8693 name the
 * refusal `invalid_target`; a resource must be an absolute URI without a fragment.
 */
export function grantedAudience(client: OAuthClientRecord, issuer: string, request: AudienceRequest): string {
  const allowed = client.audiences.length > 0 ? client.audiences : [issuer];
  if (request.audience !== undefined && request.resources.length > 0) {
    throw new WardenError('invalid_request', 'Give audience or resource, not both.');
  }
  if (request.resources.length > 1) {
    throw new WardenError('invalid_target', 'Warden issues a token for one resource at a time.');
  }
  const [resource] = request.resources;
  if (resource !== undefined && (!URL.canParse(resource) || resource.includes('#'))) {
    throw new WardenError('invalid_target', 'resource must be an absolute URI without a fragment (RFC 8707).');
  }
  const asked = request.audience ?? resource;
  if (asked === undefined) return allowed[0]!;
  if (!allowed.includes(asked)) {
    throw new WardenError('invalid_target', 'The requested audience is not one this client may get tokens for.');
  }
  return asked;
}

/**
 * The client credentials grant (RFC 6749 section 4.4): an access token for the client itself (`sub` = `client_id`).
 * A client registered with the refresh_token grant type also gets a refresh token (as Keycloak offers for this
 * grant): a long-running daemon can then renew its access without presenting its secret again.
 */
export class ClientCredentialsGrant implements TokenGrant {
  readonly grantType = 'client_credentials' as const;

  constructor(
    private readonly issuer: AccessTokenIssuer,
    private readonly refreshTokens: RefreshTokenService,
  ) {}

  async issue(client: OAuthClientRecord, parameters: TokenRequestParameters): Promise<TokenResponse> {
    const scopes = grantedScopes(client, parameters.one('scope'));
    const audience = grantedAudience(client, this.issuer.issuer, {
      audience: parameters.one('audience'),
      resources: parameters.all('resource'),
    });
    const access = await this.issuer.issue(client, { subject: client.id, scopes, audience });
    if (!client.grantTypes.includes('refresh_token')) return tokenResponse(access);
    const refreshToken = await this.refreshTokens.issue({
      client,
      subject: client.id,
      scopes,
      audience,
      access: { jti: access.jti, expiresAt: access.expiresAt },
    });
    return tokenResponse(access, refreshToken);
  }
}
