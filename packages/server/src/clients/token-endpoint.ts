import type { FastifyInstance } from 'fastify';
import type { FailureAuditor } from '../authn/failure-auditor.js';
import { WardenError } from '../errors/warden-error.js';
import { peerAddress } from '../http/request-attributes.js';
import type { ClientAuthenticator } from './client-authentication.js';
import {
  authenticatedClient,
  formParameters,
  sendOAuthJson,
  TOKEN_ENDPOINT_PATH,
  useOAuthConventions,
} from './oauth-endpoint.js';
import type { TokenGrant } from './token-grant.js';

export interface TokenEndpointOptions {
  authenticator: ClientAuthenticator;
  /** The grant types it serves, a file each. */
  grants: readonly TokenGrant[];
  /** The engine's failure auditor: failed client authentications share the budgets of every failed credential. */
  failures: FailureAuditor;
}

/**
 * `POST /oauth2/token` (RFC 6749 section 3.2): authenticates the client (client_secret_basic or
 * client_secret_post), checks the client may use the grant type, and lets the grant answer. Form-encoded
 * requests only; RFC 6749 section 5.2 errors (see `oauth-endpoint.ts`).
 */
export function registerTokenEndpoint(scope: FastifyInstance, options: TokenEndpointOptions): void {
  const { authenticator, grants, failures } = options;
  const byType = new Map(grants.map((grant) => [grant.grantType as string, grant]));
  const supported = grants.map((grant) => grant.grantType).join(', ');
  useOAuthConventions(scope, 'token request');

  scope.post(TOKEN_ENDPOINT_PATH, async (request, reply) => {
    const parameters = formParameters(request.body);
    const grantType = parameters.one('grant_type');
    if (grantType === undefined) throw new WardenError('invalid_request', 'grant_type is required.');
    const grant = byType.get(grantType);
    if (grant === undefined) {
      throw new WardenError('unsupported_grant_type', `Warden supports these grant types: ${supported}.`);
    }
    const client = await authenticatedClient(request, parameters, authenticator, failures);
    if (!client.grantTypes.includes(grant.grantType)) {
      throw new WardenError('unauthorized_client', `This client may not use the ${grant.grantType} grant.`);
    }
    return sendOAuthJson(reply, await grant.issue(client, parameters, peerAddress(request.raw)));
  });
}
