import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import type { FailureAuditor } from '../authn/failure-auditor.js';
import { oauthErrorBody } from '../errors/bodies.js';
import { WardenError } from '../errors/warden-error.js';
import { toWardenError } from '../http/framework-errors.js';
import { headersWithRepeatedCredentials, peerAddress } from '../http/request-attributes.js';
import type { ClientAuthenticator } from './client-authentication.js';
import { presentedClient } from './client-authentication.js';
import type { ClientCredentialsGrant } from './client-credentials-grant.js';

export const TOKEN_ENDPOINT_PATH = '/oauth2/token';

/** The grant types the token endpoint serves today (the discovery document lists them). */
export const SUPPORTED_GRANT_TYPES = ['client_credentials'] as const;

export interface TokenEndpointOptions {
  authenticator: ClientAuthenticator;
  grant: ClientCredentialsGrant;
  /** The engine's failure auditor: failed client authentications share the budgets of every failed credential. */
  failures: FailureAuditor;
}

/** A body that is not application/x-www-form-urlencoded: read (so the connection stays usable), then refused. */
const NOT_A_FORM = Symbol('not a form');

/** Parameters that may be sent more than once: RFC 8707 allows several `resource` values. */
const REPEATABLE = new Set(['resource']);

/**
 * The parameters of a form body. RFC 6749 section 3.1: a parameter without a value counts as omitted, and none
 * may be sent twice. Values are never quoted back in messages.
 */
function formParameters(body: unknown): Map<string, string[]> {
  if (!(body instanceof URLSearchParams)) {
    throw new WardenError('invalid_request', 'Send the token request as application/x-www-form-urlencoded.');
  }
  const parameters = new Map<string, string[]>();
  for (const [name, value] of body) {
    if (value === '') continue;
    const values = parameters.get(name);
    if (values === undefined) parameters.set(name, [value]);
    else if (REPEATABLE.has(name)) values.push(value);
    else throw new WardenError('invalid_request', `The parameter ${safeName(name)} is sent more than once.`);
  }
  return parameters;
}

/** A parameter name as it may appear in a message: only a plain one (an odd name may be a pasted secret). */
const safeName = (name: string) => (/^[a-z_]{1,40}$/.test(name) ? name : 'a parameter');

/** Headers of every answer of the token endpoint, success or error (RFC 6749 section 5.1, SECURITY.md #27). */
function noStore(reply: FastifyReply): FastifyReply {
  return reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
}

/**
 * `POST /oauth2/token` (RFC 6749 section 3.2): the client credentials grant, with client authentication by
 * client_secret_basic or client_secret_post. Form-encoded requests only; errors in the RFC 6749 section 5.2
 * shape `{error, error_description}`, `invalid_client` as a 401 with a Basic challenge. Failed client
 * authentications are audited through the engine's failure auditor, within its budgets.
 */
export function registerTokenEndpoint(scope: FastifyInstance, options: TokenEndpointOptions): void {
  const { authenticator, grant, failures } = options;

  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, new URLSearchParams(String(body)));
  });
  scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, _body, done) => done(null, NOT_A_FORM));

  scope.setErrorHandler((error: FastifyError, request, reply) => {
    let rendered = toWardenError(error);
    if (rendered.code === 'unsupported_media_type') {
      rendered = new WardenError('invalid_request', 'Send the token request as application/x-www-form-urlencoded.');
    }
    if (rendered.status >= 500) {
      request.log.error({ err: error, reqId: request.id, url: request.routeOptions.url }, 'token request failed');
    }
    noStore(reply).code(rendered.status);
    // A 401 names the scheme to use (RFC 7235 section 3.1, RFC 6749 section 5.2).
    if (rendered.status === 401) reply.header('www-authenticate', 'Basic realm="warden"');
    return reply.send(oauthErrorBody(rendered));
  });

  scope.post(TOKEN_ENDPOINT_PATH, async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    if (query.client_secret !== undefined) {
      throw new WardenError('invalid_request', 'Client credentials are not accepted in the URL.');
    }
    const parameters = formParameters(request.body);
    const single = (name: string) => parameters.get(name)?.[0];
    const grantType = single('grant_type');
    if (grantType === undefined) throw new WardenError('invalid_request', 'grant_type is required.');
    if (!(SUPPORTED_GRANT_TYPES as readonly string[]).includes(grantType)) {
      throw new WardenError('unsupported_grant_type', 'Warden supports the client_credentials grant.');
    }

    const peer = peerAddress(request.raw);
    const presentation = presentedClient(
      headersWithRepeatedCredentials(request.raw).authorization,
      single('client_id'),
      single('client_secret'),
    );
    if (presentation.kind === 'none') {
      throw new WardenError(
        'invalid_client',
        'Client authentication is required: client_secret_basic or client_secret_post.',
      );
    }
    if (presentation.kind === 'ambiguous') throw new WardenError('invalid_request', `${presentation.reason}.`);
    if (presentation.kind === 'malformed') {
      failures.record({ code: 'malformed_credentials', kind: null, peer });
      throw new WardenError('invalid_client', `Client authentication failed: ${presentation.reason}.`);
    }
    const authenticated = await authenticator.authenticate(presentation.client);
    if (!authenticated.ok) {
      failures.record({
        code: authenticated.reason,
        kind: 'basic',
        peer,
        ...(authenticated.clientId !== null ? { credentialId: authenticated.clientId } : {}),
      });
      throw new WardenError('invalid_client', authenticated.message);
    }
    const { client } = authenticated;
    if (!client.grantTypes.includes('client_credentials')) {
      throw new WardenError('unauthorized_client', 'This client may not use the client_credentials grant.');
    }
    const issued = await grant.issue(client, {
      scope: single('scope'),
      audience: single('audience'),
      resources: parameters.get('resource') ?? [],
    });
    return noStore(reply).code(200).type('application/json; charset=utf-8').send(issued);
  });
}
