import { ASYMMETRIC_ALGORITHMS } from '@warden/sdk/verifier';
import type { FailureAuditor } from '../authn/failure-auditor.js';
import type { Capability, CapabilityContext } from '../capability.js';
import { PeriodicTask } from '../cluster/periodic-task.js';
import { RefreshTokenGrant } from '../refresh-tokens/refresh-token-grant.js';
import { RefreshTokenRepository } from '../refresh-tokens/repository.js';
import { type AccessTokenRevoker, RefreshTokenService } from '../refresh-tokens/service.js';
import type { TokenSigner } from '../tokens/signer.js';
import { AccessTokenIssuer } from './access-token-issuer.js';
import { registerAdminClientRoutes } from './admin-routes.js';
import { AssertionReplayRepository } from './assertion-replay.js';
import { ClientAssertionVerifier } from './client-assertion.js';
import { ClientAuthenticator } from './client-authentication.js';
import { ClientCredentialsGrant } from './client-credentials-grant.js';
import { CLIENT_AUTH_METHODS } from './inputs.js';
import { OAUTH_ENDPOINT_PATHS, TOKEN_ENDPOINT_PATH } from './oauth-endpoint.js';
import { type OAuthClientRecord, OAuthClientRepository } from './repository.js';
import { OAuthClientService } from './service.js';
import { registerTokenEndpoint } from './token-endpoint.js';

/** The OAuth 2.0 clients capability: what `createOAuthClients` returns beyond every capability's parts. */
export interface OAuthClients extends Capability {
  /** Create, list, show, rotate-secret, disable, enable, delete: behind the admin API, the CLI and `warden.clients`. */
  readonly service: OAuthClientService;
  /**
   * Proves a client's secret as the token endpoint does (`client_secret_basic` clients): the client, or null when
   * the id is unknown, the secret wrong or the client disabled. For HTTP Basic on the decision path.
   */
  authenticateClient(clientId: string, secret: string): Promise<OAuthClientRecord | null>;
  /** Authenticates the callers of the OAuth endpoints (token, introspection, revocation). */
  readonly clientAuthenticator: ClientAuthenticator;
  /** The refresh tokens the token endpoint issues and rotates: introspection and revocation ask them too. */
  readonly refreshTokens: RefreshTokenService;
  /** Reads a client (the introspection of a refresh token checks its client is still enabled). */
  findClient(clientId: string): Promise<OAuthClientRecord | null>;
}

export interface OAuthClientsOptions {
  /** Signs the access tokens: the signing-keys capability's signer. */
  signer: TokenSigner;
  /** The engine's failure auditor, so failed client authentications count against the same audit budgets. */
  failures: FailureAuditor;
  /** The jti deny-list: where a revoked refresh token family sends its access tokens. */
  revocations: AccessTokenRevoker;
}

/**
 * OAuth 2.0 clients (service accounts) end to end: the repository (secrets as HMAC-SHA256 digests with the
 * pepper), the management service, the admin routes under /v1/admin/clients, client authentication and the token
 * endpoint `POST /oauth2/token` with the client credentials and refresh token grants (refresh tokens rotate on
 * every use; `refresh-tokens/`), and their part of the discovery document.
 * No cache: the token endpoint reads the client on every request, so a disabled client is refused at once on every
 * instance.
 */
export function createOAuthClients(context: CapabilityContext, options: OAuthClientsOptions): OAuthClients {
  const { config, database, secrets, audit, now } = context;
  const repository = new OAuthClientRepository(database.db);
  const service = new OAuthClientService({
    repository,
    audit,
    pepper: secrets.pepper,
    maxTokenTtlMs: config.signing_keys.retain_after_retire,
    now,
  });
  const replay = new AssertionReplayRepository(database.db);
  const assertions = new ClientAssertionVerifier({
    repository,
    replay,
    audiences: [config.issuer, ...OAUTH_ENDPOINT_PATHS.map((path) => `${config.issuer}${path}`)],
    clockToleranceSeconds: Math.floor(config.tokens.clock_skew / 1000),
    now,
  });
  const authenticator = new ClientAuthenticator({ repository, pepper: secrets.pepper, assertions, now });
  const issuer = new AccessTokenIssuer({ signer: options.signer, defaultTtlMs: config.tokens.access_token_ttl, now });
  const refreshTokens = new RefreshTokenService({
    repository: new RefreshTokenRepository(database.db),
    audit,
    revoker: options.revocations,
    pepper: secrets.pepper,
    familyTtlMs: config.tokens.refresh_token_ttl,
    idleTtlMs: config.tokens.refresh_token_idle_ttl,
    now,
  });
  // Ended refresh token families and expired assertion jtis, deleted hourly by every instance (twice is harmless).
  const cleanup = new PeriodicTask({
    intervalMs: 3_600_000,
    run: async () => {
      await refreshTokens.deleteEnded();
      await replay.deleteExpired(now());
    },
    onError: (error) => context.reportFault('refresh token and client assertion cleanup', error),
  });
  const grants = [new ClientCredentialsGrant(issuer, refreshTokens), new RefreshTokenGrant(issuer, refreshTokens)];

  return {
    name: 'oauth_clients',
    service,
    authenticators: [],
    clientAuthenticator: authenticator,
    refreshTokens,
    findClient: (clientId) => repository.findById(clientId),
    authenticateClient: async (clientId, secret) => {
      const result = await authenticator.authenticate({ method: 'client_secret_basic', clientId, secret });
      return result.ok ? result.client : null;
    },
    adminRoutes: (scope, api) => registerAdminClientRoutes(scope, service, api),
    publicRoutes: (scope) => registerTokenEndpoint(scope, { authenticator, grants, failures: options.failures }),
    discoveryMetadata: (issuer) => ({
      token_endpoint: `${issuer}${TOKEN_ENDPOINT_PATH}`,
      grant_types_supported: grants.map((grant) => grant.grantType),
      token_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS],
      // RFC 8414: required once private_key_jwt is listed.
      token_endpoint_auth_signing_alg_values_supported: [...ASYMMETRIC_ALGORITHMS],
    }),
    start() {
      cleanup.start();
    },
    flush: async () => {},
    stop: () => cleanup.stop(),
  };
}
