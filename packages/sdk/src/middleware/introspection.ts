import { hash } from 'node:crypto';
import type { JWTPayload } from 'jose';
import type { Principal } from '../principal.js';
import { type ClaimMapping, ClaimProblem, principalFromClaims } from '../verifier/claims.js';
import { TokenVerificationError, VerifierConfigError } from '../verifier/errors.js';
import { fetchJsonObject, insecureUrlProblem } from '../verifier/http.js';

export interface IntrospectionOptions {
  /** The RFC 7662 introspection endpoint, e.g. `https://warden.example.com/oauth2/introspect`. */
  endpoint: string;
  /** This resource server's client credentials at the authorization server. */
  clientId: string;
  clientSecret: string;
  /** How the client authenticates: `client_secret_basic` (default) or `client_secret_post`. */
  clientAuth?: 'client_secret_basic' | 'client_secret_post';
  /** `credential.issuer` of the principals when the answer has no `iss`. Default: the endpoint's origin. */
  issuer?: string;
  claims?: ClaimMapping;
  /** An active answer is reused this long at most (and never past the token's `exp`). Default 30 s; 0: never. */
  cacheTtl?: number;
  cacheMaxEntries?: number;
  /** The introspection request fails after this many ms. Default 5 s. */
  timeout?: number;
  allowInsecureHttp?: boolean;
  fetch?: typeof globalThis.fetch;
  now?: () => number;
}

export interface IntrospectionClient {
  /** The principal of an active token; otherwise a TokenVerificationError (`invalid_credentials`, `unavailable`). */
  introspect(token: string): Promise<Principal>;
  /** Introspection requests sent so far. */
  readonly requests: number;
}

/** `application/x-www-form-urlencoded` as RFC 6749 §2.3.1 asks for the client id and secret in Basic. */
const formEncode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');

/**
 * An RFC 7662 introspection client for opaque credentials (API keys, refresh tokens, opaque access tokens). It
 * authenticates as this resource server, and keeps each active answer (the principal, never the token: by a
 * SHA-256 digest of it) for at most `cacheTtl` and never past the token's `exp`. Requirements are not part of
 * what is cached: they are checked on every request (SECURITY.md #31). An inactive answer is never cached, so
 * a token activated later is not refused from memory; it is `invalid_credentials` (401).
 */
export function createIntrospectionClient(options: IntrospectionOptions): IntrospectionClient {
  const problems: string[] = [];
  let endpoint: URL | null = null;
  try {
    endpoint = new URL(options.endpoint);
    const problem = insecureUrlProblem(endpoint, options.allowInsecureHttp === true);
    if (problem) problems.push(`endpoint: ${problem}`);
  } catch {
    problems.push('endpoint must be an absolute URL');
  }
  if (typeof options.clientId !== 'string' || options.clientId === '') problems.push('clientId is required');
  if (typeof options.clientSecret !== 'string' || options.clientSecret === '')
    problems.push('clientSecret is required');
  if (problems.length > 0) throw new VerifierConfigError(problems);
  const target = endpoint!;
  const now = options.now ?? Date.now;
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const ttl = options.cacheTtl ?? 30_000;
  const maxEntries = options.cacheMaxEntries ?? 10_000;
  const timeout = options.timeout ?? 5_000;
  const defaultIssuer = options.issuer ?? target.origin;
  const cache = new Map<string, { principal: Principal; until: number }>();
  let requests = 0;

  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (options.clientAuth !== 'client_secret_post') {
    const pair = `${formEncode(options.clientId)}:${formEncode(options.clientSecret)}`;
    headers['authorization'] = `Basic ${Buffer.from(pair).toString('base64')}`;
  }

  async function ask(token: string): Promise<Record<string, unknown>> {
    const body = new URLSearchParams({ token });
    if (options.clientAuth === 'client_secret_post') {
      body.set('client_id', options.clientId);
      body.set('client_secret', options.clientSecret);
    }
    requests += 1;
    // fetchJsonObject GETs; introspection is a POST, so the request is made here with the same limits.
    const fetchPost: typeof globalThis.fetch = (input, init) =>
      fetchImpl(input, { ...init, method: 'POST', headers: { ...headers, accept: 'application/json' }, body });
    try {
      return await fetchJsonObject(fetchPost, target, timeout);
    } catch (error) {
      throw new TokenVerificationError(
        'unavailable',
        `The introspection endpoint could not answer: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  return {
    get requests() {
      return requests;
    },
    async introspect(token) {
      const digest = hash('sha256', token, 'base64');
      const cached = cache.get(digest);
      if (cached !== undefined && now() < cached.until) return cached.principal;
      cache.delete(digest);
      const answer = await ask(token);
      // Only `active: true` (the boolean) is active; anything else is not (RFC 7662 §2.2).
      if (answer['active'] !== true)
        throw new TokenVerificationError('invalid_credentials', 'The token is not active.');
      const exp = typeof answer['exp'] === 'number' ? answer['exp'] * 1000 : null;
      if (exp !== null && exp <= now()) throw new TokenVerificationError('expired', 'The token has expired.');
      const claims = {
        ...answer,
        iss: typeof answer['iss'] === 'string' ? answer['iss'] : defaultIssuer,
      } as JWTPayload;
      // RFC 7662 makes `sub` optional; a client credentials token without one stands for its client.
      if (claims.sub === undefined && typeof answer['client_id'] === 'string') claims.sub = answer['client_id'];
      let principal: Principal;
      try {
        principal = principalFromClaims(claims, options.claims);
      } catch (error) {
        if (error instanceof ClaimProblem) {
          throw new TokenVerificationError(
            'invalid_credentials',
            `The token's claims are not valid: ${error.message}.`,
          );
        }
        throw error;
      }
      // An opaque credential: the credential kinds have no other name for it than an API key's.
      principal = Object.freeze({ ...principal, credential: { ...principal.credential, kind: 'api_key' as const } });
      if (ttl > 0 && maxEntries > 0) {
        if (cache.size >= maxEntries) cache.delete(cache.keys().next().value as string);
        cache.set(digest, { principal, until: Math.min(now() + ttl, exp ?? Number.POSITIVE_INFINITY) });
      }
      return principal;
    },
  };
}
