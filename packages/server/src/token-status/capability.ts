import { ASYMMETRIC_ALGORITHMS } from '@warden/sdk/verifier';
import type { FailureAuditor } from '../authn/failure-auditor.js';
import type { Capability, CapabilityContext } from '../capability.js';
import type { OAuthClients } from '../clients/capability.js';
import { CLIENT_AUTH_METHODS } from '../clients/inputs.js';
import { INTROSPECTION_ENDPOINT_PATH, REVOCATION_ENDPOINT_PATH } from '../clients/oauth-endpoint.js';
import type { ApiKeys } from '../keys/capability.js';
import type { AccessTokens } from '../tokens/capability.js';
import type { CredentialSources } from './credential-status.js';
import { registerIntrospectionEndpoint } from './introspection-endpoint.js';
import { registerRevocationEndpoint } from './revocation-endpoint.js';

export interface TokenStatusOptions {
  apiKeys: ApiKeys;
  clients: OAuthClients;
  accessTokens: AccessTokens;
  failures: FailureAuditor;
}

/**
 * Introspection (RFC 7662) and revocation (RFC 7009) of every credential Warden issues: access tokens, refresh
 * tokens and API keys, asked about by authenticated clients. It owns no data: it asks the capabilities that do.
 */
export function createTokenStatus(context: CapabilityContext, options: TokenStatusOptions): Capability {
  const { config, audit, now } = context;
  const { apiKeys, clients, accessTokens, failures } = options;
  const sources: CredentialSources = {
    issuer: config.issuer,
    verifyOwnToken: (token) => accessTokens.verifyOwnToken(token),
    refreshTokens: clients.refreshTokens,
    findClient: (clientId) => clients.findClient(clientId),
    verifyKey: (key) => apiKeys.verifyKey(key),
  };
  const authenticator = clients.clientAuthenticator;
  const authMethods = [...CLIENT_AUTH_METHODS];

  return {
    name: 'token_status',
    authenticators: [],
    publicRoutes: (scope) => {
      scope.register(async (routes) => registerIntrospectionEndpoint(routes, { sources, authenticator, failures }));
      scope.register(async (routes) =>
        registerRevocationEndpoint(routes, {
          sources,
          revocations: accessTokens.revocations,
          keys: apiKeys.service,
          audit,
          authenticator,
          failures,
          now,
        }),
      );
    },
    discoveryMetadata: (issuer) => ({
      introspection_endpoint: `${issuer}${INTROSPECTION_ENDPOINT_PATH}`,
      introspection_endpoint_auth_methods_supported: authMethods,
      revocation_endpoint: `${issuer}${REVOCATION_ENDPOINT_PATH}`,
      revocation_endpoint_auth_methods_supported: authMethods,
      introspection_endpoint_auth_signing_alg_values_supported: [...ASYMMETRIC_ALGORITHMS],
      revocation_endpoint_auth_signing_alg_values_supported: [...ASYMMETRIC_ALGORITHMS],
    }),
    start() {},
    flush: async () => {},
    stop: async () => {},
  };
}
