import { randomBytes } from 'node:crypto';
import { WardenError } from '../errors/warden-error.js';
import { isScopeToken } from '../identity/names.js';
import type { TokenSigner } from '../tokens/signer.js';
import type { OAuthClientRecord } from './repository.js';

/** What a client credentials token request asks for beyond the grant type (RFC 6749 4.4.2, RFC 8707). */
export interface ClientCredentialsRequest {
  /** `scope`: space-separated; absent: every scope the client may have. */
  scope?: string | undefined;
  /** `audience` (RFC 8693's name, used by many clients): one of the client's audiences. */
  audience?: string | undefined;
  /** `resource` (RFC 8707): an absolute URI, one of the client's audiences. Sent at most once here. */
  resources: readonly string[];
}

/** The successful token response (RFC 6749 section 5.1). */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  /** The granted scopes, space-separated; absent when the token carries none. */
  scope?: string;
}

export interface ClientCredentialsGrantOptions {
  signer: TokenSigner;
  /** Lifetime of access tokens for clients without one of their own (`tokens.access_token_ttl`), in ms. */
  defaultTtlMs: number;
  now: () => number;
}

/**
 * The scopes a token gets: those asked for, each one the client may have (RFC 6749 section 3.3), or all of the
 * client's when none are asked for. Anything else is `invalid_scope`.
 */
export function grantedScopes(client: OAuthClientRecord, requested: string | undefined): string[] {
  if (requested === undefined) return client.scopes;
  const asked = [...new Set(requested.split(' ').filter((item) => item !== ''))];
  if (asked.length === 0 || !asked.every(isScopeToken)) {
    throw new WardenError('invalid_scope', 'scope must be scope tokens separated by spaces.');
  }
  const allowed = new Set(client.scopes);
  const beyond = asked.filter((item) => !allowed.has(item)).length;
  if (beyond > 0) {
    throw new WardenError('invalid_scope', `${beyond} requested scope(s) are not allowed for this client.`);
  }
  return asked;
}

/**
 * The one audience (`aud`) of a token: the `audience` or `resource` asked for, which must be one of the client's
 * audiences (the issuer itself when it has none), or by default its first. RFC 8707 and RFC 8693 name the
 * refusal `invalid_target`; a resource must be an absolute URI without a fragment.
 */
export function grantedAudience(client: OAuthClientRecord, issuer: string, request: ClientCredentialsRequest): string {
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
 * The client credentials grant (RFC 6749 section 4.4): an access token for the client itself, a JWT by RFC 9068
 * (`typ: at+jwt`; `iss`, `sub` = `client_id` = the client id, `aud`, `iat`, `exp`, a random `jti`, `scope`, and
 * the client's `tenant`, `roles` and `admin` when it has them), signed with Warden's active signing key.
 */
export class ClientCredentialsGrant {
  constructor(private readonly options: ClientCredentialsGrantOptions) {}

  async issue(client: OAuthClientRecord, request: ClientCredentialsRequest): Promise<TokenResponse> {
    const { signer, defaultTtlMs, now } = this.options;
    const scopes = grantedScopes(client, request.scope);
    const audience = grantedAudience(client, signer.issuer, request);
    const issuedAt = Math.floor(now() / 1000);
    const lifetime = Math.floor((client.tokenTtlMs ?? defaultTtlMs) / 1000);
    const scope = scopes.join(' ');
    const token = await signer.sign(
      {
        sub: client.id,
        aud: audience,
        iat: issuedAt,
        exp: issuedAt + lifetime,
        jti: randomBytes(16).toString('base64url'),
        client_id: client.id,
        ...(scope !== '' ? { scope } : {}),
        ...(client.tenant !== null ? { tenant: client.tenant } : {}),
        ...(client.roles.length > 0 ? { roles: client.roles } : {}),
        ...(client.admin ? { admin: true } : {}),
      },
      'at+jwt',
    );
    return { access_token: token, token_type: 'Bearer', expires_in: lifetime, ...(scope !== '' ? { scope } : {}) };
  }
}
