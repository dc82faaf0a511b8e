import type { TokenResponse } from './access-token-issuer.js';
import type { ClientGrantType } from './inputs.js';
import type { OAuthClientRecord } from './repository.js';

/** The parameters of a token request's form body (each sent at most once, except `resource`). */
export interface TokenRequestParameters {
  one(name: string): string | undefined;
  all(name: string): readonly string[];
}

/**
 * One grant type of the token endpoint (a file each): the endpoint authenticates the client, checks the client
 * may use this grant type, and hands it the rest of the request. Refusals are WardenErrors with RFC 6749 codes.
 */
export interface TokenGrant {
  readonly grantType: ClientGrantType;
  issue(client: OAuthClientRecord, parameters: TokenRequestParameters, peer: string): Promise<TokenResponse>;
}
