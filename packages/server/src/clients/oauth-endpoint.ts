import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FailureAuditor } from '../authn/failure-auditor.js';
import { oauthErrorBody } from '../errors/bodies.js';
import { WardenError } from '../errors/warden-error.js';
import { toWardenError } from '../http/framework-errors.js';
import { headersWithRepeatedCredentials, peerAddress } from '../http/request-attributes.js';
import type { ClientAuthenticator } from './client-authentication.js';
import { presentedClient } from './client-authentication.js';
import type { OAuthClientRecord } from './repository.js';
import type { TokenRequestParameters } from './token-grant.js';

/**
 * What the OAuth 2.0 endpoints (token, introspection, revocation) share: form bodies only, RFC 6749 section 5.2
 * error bodies with `Cache-Control: no-store`, and client authentication by client_secret_basic or
 * client_secret_post, audited through the engine's failure auditor.
 */

/** Where the OAuth endpoints are: a client assertion's `aud` may name any of them (or the issuer). */
export const TOKEN_ENDPOINT_PATH = '/oauth2/token';
export const INTROSPECTION_ENDPOINT_PATH = '/oauth2/introspect';
export const REVOCATION_ENDPOINT_PATH = '/oauth2/revoke';
export const OAUTH_ENDPOINT_PATHS = [TOKEN_ENDPOINT_PATH, INTROSPECTION_ENDPOINT_PATH, REVOCATION_ENDPOINT_PATH];

/** A body that is not application/x-www-form-urlencoded: read (so the connection stays usable), then refused. */
const NOT_A_FORM = Symbol('not a form');

/** Parameters that may be sent more than once: RFC 8707 allows several `resource` values. */
const REPEATABLE = new Set(['resource']);

const formRequired = () => new WardenError('invalid_request', 'Send the request as application/x-www-form-urlencoded.');

/** A parameter name as it may appear in a message: only a plain one (an odd name may be a pasted secret). */
const safeName = (name: string) => (/^[a-z_]{1,40}$/.test(name) ? name : 'a parameter');

/**
 * The parameters of a form body. RFC 6749 section 3.1: a parameter without a value counts as omitted, and none
 * may be sent twice. Values are never quoted back in messages.
 */
export function formParameters(body: unknown): TokenRequestParameters {
  if (!(body instanceof URLSearchParams)) throw formRequired();
  const parameters = new Map<string, string[]>();
  for (const [name, value] of body) {
    if (value === '') continue;
    const values = parameters.get(name);
    if (values === undefined) parameters.set(name, [value]);
    else if (REPEATABLE.has(name)) values.push(value);
    else throw new WardenError('invalid_request', `The parameter ${safeName(name)} is sent more than once.`);
  }
  return {
    one: (name) => parameters.get(name)?.[0],
    all: (name) => parameters.get(name) ?? [],
  };
}

/** Headers of every answer of an OAuth endpoint, success or error (RFC 6749 section 5.1, SECURITY.md #27). */
export function noStore(reply: FastifyReply): FastifyReply {
  return reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
}

/** Sends a JSON answer of an OAuth endpoint. */
export function sendOAuthJson(reply: FastifyReply, body: unknown): FastifyReply {
  return noStore(reply).code(200).type('application/json; charset=utf-8').send(body);
}

/**
 * Makes a Fastify scope an OAuth endpoint scope: form bodies only, and errors in the RFC 6749 section 5.2 shape
 * `{error, error_description}`, `invalid_client` as a 401 with a Basic challenge.
 */
export function useOAuthConventions(scope: FastifyInstance, what: string): void {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, new URLSearchParams(String(body)));
  });
  scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, _body, done) => done(null, NOT_A_FORM));

  scope.setErrorHandler((error: FastifyError, request, reply) => {
    let rendered = toWardenError(error);
    if (rendered.code === 'unsupported_media_type') rendered = formRequired();
    if (rendered.status >= 500) {
      request.log.error({ err: error, reqId: request.id, url: request.routeOptions.url }, `${what} failed`);
    }
    noStore(reply).code(rendered.status);
    // A 401 names the scheme to use (RFC 7235 section 3.1, RFC 6749 section 5.2).
    if (rendered.status === 401) reply.header('www-authenticate', 'Basic realm="warden"');
    return reply.send(oauthErrorBody(rendered));
  });
}

/**
 * The client an OAuth request authenticates as (RFC 6749 section 2.3.1), or `invalid_client`. Credentials in
 * the URL are refused; failures are audited within the failure auditor's budgets.
 */
export async function authenticatedClient(
  request: FastifyRequest,
  parameters: TokenRequestParameters,
  authenticator: ClientAuthenticator,
  failures: FailureAuditor,
): Promise<OAuthClientRecord> {
  const query = request.query as Record<string, unknown>;
  if (query.client_secret !== undefined) {
    throw new WardenError('invalid_request', 'Client credentials are not accepted in the URL.');
  }
  const peer = peerAddress(request.raw);
  const presentation = presentedClient(
    headersWithRepeatedCredentials(request.raw).authorization,
    parameters.one('client_id'),
    parameters.one('client_secret'),
    { type: parameters.one('client_assertion_type'), assertion: parameters.one('client_assertion') },
  );
  if (presentation.kind === 'none') {
    throw new WardenError(
      'invalid_client',
      'Client authentication is required: client_secret_basic, client_secret_post or private_key_jwt.',
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
  const namedClient = parameters.one('client_id');
  if (namedClient !== undefined && namedClient !== authenticated.client.id) {
    throw new WardenError('invalid_request', 'client_id is not the client the request authenticated as.');
  }
  return authenticated.client;
}
