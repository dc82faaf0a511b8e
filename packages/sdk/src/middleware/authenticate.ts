import { decodeJwt } from 'jose';
import { bearerErrorFor, DECISION_ERRORS, type DecisionErrorCode } from '../errors.js';
import type { Principal } from '../principal.js';
import { TokenVerificationError, VerifierConfigError } from '../verifier/errors.js';
import type { Verifier } from '../verifier/verifier.js';
import type { IntrospectionClient } from './introspection.js';
import { type Requirements, unmetRequirement } from './requirements.js';

export interface ProtectOptions {
  /** Local JWT verification: one verifier per trusted issuer, picked by the token's `iss`. */
  verifiers?: Verifier | readonly Verifier[];
  /** Opaque credentials (and JWTs of no configured issuer) are introspected here when set. */
  introspection?: IntrospectionClient;
  /** Requirements of every request this middleware protects. */
  requirements?: Requirements;
  /** The RFC 6750 `realm` of the challenges. Default `api`. */
  realm?: string;
}

/** The answer for one request: the caller, or the denial to send (status, body, headers). */
export type Outcome =
  | { ok: true; principal: Principal }
  | {
      ok: false;
      status: number;
      code: DecisionErrorCode;
      body: string;
      headers: Record<string, string>;
    };

const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;
const MAX_TOKEN_LENGTH = 8192;

function quoted(value: string): string {
  return `"${value.replace(/[\\"]/g, '\\$&').replace(/[^\x20-\x7e]/g, '')}"`;
}

/**
 * The core every framework adapter shares: reads the Bearer token, verifies it (locally for a JWT of a configured
 * issuer, else by introspection when configured), checks the requirements, and answers with a value. Denials carry
 * RFC 6750 challenges: `invalid_request` (400) for a malformed header, `invalid_token` (401), `insufficient_scope`
 * (403, with the missing `scope`), and 503 with `Retry-After` when keys or introspection are unavailable. Fails at
 * construction when it could verify nothing.
 */
export function createRequestAuthenticator(options: ProtectOptions) {
  const verifiers =
    options.verifiers === undefined
      ? []
      : Array.isArray(options.verifiers)
        ? options.verifiers
        : [options.verifiers as Verifier];
  if (verifiers.length === 0 && options.introspection === undefined) {
    throw new VerifierConfigError(['give verifiers, introspection, or both: otherwise no token can be verified']);
  }
  const byIssuer = new Map(verifiers.map((verifier) => [verifier.issuer, verifier]));
  const realm = options.realm ?? 'api';
  const base = options.requirements ?? {};

  const deny = (
    code: DecisionErrorCode,
    message: string,
    status: number = DECISION_ERRORS[code].status,
    extra = '',
  ): Outcome => {
    const error = status === 400 ? 'invalid_request' : bearerErrorFor(code);
    const challenge =
      error === null
        ? `Bearer realm=${quoted(realm)}`
        : `Bearer realm=${quoted(realm)}, error=${quoted(error)}, error_description=${quoted(message)}${extra}`;
    const headers: Record<string, string> = { 'content-type': 'application/json', 'cache-control': 'no-store' };
    if (status === 401 || status === 403 || status === 400) headers['www-authenticate'] = challenge;
    if (status === 503) headers['retry-after'] = '1';
    return { ok: false, status, code, body: JSON.stringify({ error: code, message }), headers };
  };

  async function principalOf(token: string): Promise<Principal> {
    const verifier = byIssuer.get(unverifiedIssuer(token) ?? '');
    if (verifier !== undefined) return verifier.verify(token);
    // With verifiers configured, a JWT of no configured issuer is refused here; introspection is for opaque
    // credentials (and for every token when it is the only way configured).
    const jwtShaped = token.startsWith('eyJ') && token.split('.').length === 3;
    if (options.introspection !== undefined && (byIssuer.size === 0 || !jwtShaped)) {
      return options.introspection.introspect(token);
    }
    throw new TokenVerificationError('invalid_credentials', 'The token is not from a trusted issuer.');
  }

  /** An `X-API-Key` value is opaque: only introspection can tell what it is. */
  async function introspectApiKey(key: string): Promise<Principal> {
    if (options.introspection !== undefined) return options.introspection.introspect(key);
    throw new TokenVerificationError('invalid_credentials', 'API keys are not accepted here.');
  }

  /**
   * `headers`: the request's `Authorization` and `X-API-Key` as received (a repeated header as a list);
   * `route`: a route's own requirements, on top of the middleware's.
   */
  return async function authenticate(headers: CredentialHeaders, route?: Requirements): Promise<Outcome> {
    const presented = presentedToken(headers);
    if ('deny' in presented) {
      return presented.deny === 'missing'
        ? deny('missing_credentials', 'No credentials were presented.')
        : deny('malformed_credentials', presented.deny, 400);
    }
    const { token, apiKey } = presented;
    let principal: Principal;
    try {
      principal = apiKey ? await introspectApiKey(token) : await principalOf(token);
    } catch (error) {
      if (error instanceof TokenVerificationError)
        return deny(error.code, error.code === 'unavailable' ? DECISION_ERRORS.unavailable.message : error.message);
      return deny('unavailable', DECISION_ERRORS.unavailable.message);
    }
    const unmet = unmetRequirement(principal, route === undefined ? [base] : [base, route]);
    if (unmet !== null) {
      const scope = unmet.missingScopes ? `, scope=${quoted(unmet.missingScopes.join(' '))}` : '';
      return deny(unmet.code, unmet.message, undefined, scope);
    }
    return { ok: true, principal };
  };
}

export type RequestAuthenticator = ReturnType<typeof createRequestAuthenticator>;

/** The credential headers of a request (lower-case names, as node:http and Fastify give them). */
export interface CredentialHeaders {
  authorization?: string | readonly string[] | null | undefined;
  'x-api-key'?: string | readonly string[] | null | undefined;
}

/**
 * The one credential a request presents: `Authorization: Bearer <token>` or `X-API-Key: <key>`. Both at once, a
 * header sent twice, another scheme, or a value outside the token alphabet is malformed (400), as on the server.
 */
function presentedToken(headers: CredentialHeaders): { token: string; apiKey: boolean } | { deny: string } {
  const { authorization } = headers;
  const apiKey = headers['x-api-key'];
  const absent = (value: unknown) => value === undefined || value === null;
  if (absent(authorization) && absent(apiKey)) return { deny: 'missing' };
  if (!absent(authorization) && !absent(apiKey)) return { deny: 'Send either Authorization or X-API-Key, not both.' };
  const value = absent(authorization) ? apiKey : authorization;
  if (typeof value !== 'string') return { deny: 'A credential header was sent more than once.' };
  let token = value.trim();
  if (!absent(authorization)) {
    const match = /^Bearer +(\S+)$/i.exec(token);
    if (match === null) return { deny: 'Send a token as Authorization: Bearer <token>.' };
    token = match[1]!;
  }
  if (token.length === 0 || token.length > MAX_TOKEN_LENGTH || !TOKEN68.test(token)) {
    return { deny: 'The credential is malformed.' };
  }
  return { token, apiKey: absent(authorization) };
}

function unverifiedIssuer(token: string): string | null {
  try {
    const { iss } = decodeJwt(token);
    return typeof iss === 'string' ? iss : null;
  } catch {
    return null;
  }
}
