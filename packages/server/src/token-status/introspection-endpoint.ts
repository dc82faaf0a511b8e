import type { FastifyInstance } from 'fastify';
import type { FailureAuditor } from '../authn/failure-auditor.js';
import type { ClientAuthenticator } from '../clients/client-authentication.js';
import {
  authenticatedClient,
  formParameters,
  INTROSPECTION_ENDPOINT_PATH,
  sendOAuthJson,
  useOAuthConventions,
} from '../clients/oauth-endpoint.js';
import { WardenError } from '../errors/warden-error.js';
import { activeCredential, type CredentialSources, introspectionAnswer } from './credential-status.js';

export interface IntrospectionEndpointOptions {
  sources: CredentialSources;
  authenticator: ClientAuthenticator;
  failures: FailureAuditor;
}

/** The one inactive answer: the same bytes whatever the reason (expired, revoked, unknown, garbage). */
const INACTIVE = Object.freeze({ active: false });

/**
 * `POST /oauth2/introspect` (RFC 7662): a trusted daemon, authenticated as a client registered with
 * `introspect`, asks whether a credential it was handed is active, and whose it is. It answers for Warden's
 * access tokens, refresh tokens and API keys alike; `token_type_hint` is ignored (the formats tell themselves
 * apart). An inactive credential gets exactly `{"active":false}`, so nothing can be learned about why (SECURITY.md
 * #28).
 */
export function registerIntrospectionEndpoint(scope: FastifyInstance, options: IntrospectionEndpointOptions): void {
  const { sources, authenticator, failures } = options;
  useOAuthConventions(scope, 'introspection request');

  scope.post(INTROSPECTION_ENDPOINT_PATH, async (request, reply) => {
    const parameters = formParameters(request.body);
    const client = await authenticatedClient(request, parameters, authenticator, failures);
    if (!client.mayIntrospect) {
      throw new WardenError(
        'unauthorized_client',
        'This client may not introspect tokens: register it with --introspect (API: "introspect": true).',
      );
    }
    const token = parameters.one('token');
    if (token === undefined) throw new WardenError('invalid_request', 'token is required.');
    const credential = await activeCredential(sources, token);
    return sendOAuthJson(reply, credential === null ? INACTIVE : introspectionAnswer(sources.issuer, credential));
  });
}
