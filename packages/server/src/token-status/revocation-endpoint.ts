import type { FastifyInstance } from 'fastify';
import type { FailureAuditor } from '../authn/failure-auditor.js';
import type { ClientAuthenticator } from '../clients/client-authentication.js';
import {
  authenticatedClient,
  formParameters,
  noStore,
  REVOCATION_ENDPOINT_PATH,
  useOAuthConventions,
} from '../clients/oauth-endpoint.js';
import type { OAuthClientRecord } from '../clients/repository.js';
import { WardenError } from '../errors/warden-error.js';
import { peerAddress } from '../http/request-attributes.js';
import type { ApiKeyService } from '../keys/service.js';
import { looksLikeRefreshToken } from '../refresh-tokens/format.js';
import type { AuditRepository } from '../store/audit.js';
import type { RevokedTokens } from '../tokens/revoked-tokens.js';
import { activeCredential, type CredentialSources } from './credential-status.js';

export interface RevocationEndpointOptions {
  sources: CredentialSources;
  revocations: RevokedTokens;
  keys: ApiKeyService;
  audit: AuditRepository;
  authenticator: ClientAuthenticator;
  failures: FailureAuditor;
  now: () => number;
}

/**
 * `POST /oauth2/revoke` (RFC 7009). An authenticated client revokes its own tokens: a refresh token (its whole
 * family, with the access tokens issued from it) or an access token (its jti joins the deny-list until its
 * `exp`, honoured by every instance within `tokens.revocation.poll_interval`). An API key, which belongs to no
 * client, may be revoked by a client registered with `introspect` (a trusted daemon that found it leaked). The
 * answer is 200 whether or not anything was revoked: unknown, expired, foreign and garbage tokens alike
 * (SECURITY.md #29), so the endpoint cannot be used to test tokens.
 */
export function registerRevocationEndpoint(scope: FastifyInstance, options: RevocationEndpointOptions): void {
  const { authenticator, failures } = options;
  useOAuthConventions(scope, 'revocation request');

  scope.post(REVOCATION_ENDPOINT_PATH, async (request, reply) => {
    const parameters = formParameters(request.body);
    const client = await authenticatedClient(request, parameters, authenticator, failures);
    const token = parameters.one('token');
    if (token === undefined) throw new WardenError('invalid_request', 'token is required.');
    await revoke(options, client, token, peerAddress(request.raw));
    return noStore(reply).code(200).send();
  });
}

async function revoke(
  options: RevocationEndpointOptions,
  client: OAuthClientRecord,
  token: string,
  peer: string,
): Promise<void> {
  const actor = `client:${client.id}`;
  // Not through activeCredential: a refresh token already rotated is no longer active, yet revoking it must
  // still end its family.
  if (looksLikeRefreshToken(token)) {
    await options.sources.refreshTokens.revoke(token, client.id, actor, peer);
    return;
  }
  const credential = await activeCredential(options.sources, token);
  switch (credential?.kind) {
    case 'access_token': {
      if (credential.claims['client_id'] !== client.id) return;
      await options.revocations.revoke([{ jti: credential.jti, expiresAt: credential.expiresAt }]);
      await options.audit.record({
        at: options.now(),
        action: 'access_token.revoke',
        outcome: 'success',
        actor,
        peer,
        targetType: 'access_token',
        targetId: credential.jti,
        details: { client_id: client.id },
      });
      return;
    }
    case 'api_key': {
      const id = credential.principal.credential.id;
      if (!client.mayIntrospect || id === undefined) return;
      try {
        await options.keys.revoke(id, { reason: 'revoked through /oauth2/revoke' }, { actor, peer });
      } catch (error) {
        // A static key (config) or one revoked meanwhile: nothing more to do, and nothing to tell.
        if (!(error instanceof WardenError)) throw error;
      }
    }
  }
}
