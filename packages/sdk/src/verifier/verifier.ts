import {
  decodeProtectedHeader,
  type JWTPayload,
  errors as joseErrors,
  jwtVerify,
  type ProtectedHeaderParameters,
} from 'jose';
import { type Principal, SUBJECT_TYPES } from '../principal.js';
import { HMAC_MIN_SECRET_BYTES, isAsymmetric, isHmac } from './algorithms.js';
import { type ClaimMapping, ClaimProblem, principalFromClaims } from './claims.js';
import { discoverJwksUri } from './discovery.js';
import { invalidToken, TokenVerificationError, VerifierConfigError } from './errors.js';
import { insecureUrlProblem } from './http.js';
import { JwksCache } from './jwks-cache.js';

/** The defaults of {@link VerifierOptions}, in milliseconds. */
export const VERIFIER_DEFAULTS = Object.freeze({
  clockSkew: 30_000,
  fetchTimeout: 5_000,
  cooldown: 30_000,
  cacheMaxAge: 600_000,
  staleIfError: 900_000,
  typ: 'at+jwt',
});

/** Longest token looked at (the decision endpoint's credential limit is 8 KiB). */
const MAX_TOKEN_LENGTH = 16_384;
/** Header parameters that point at or carry a key: the key comes from the issuer's JWKS only (RFC 8725 §3.10). */
const KEY_CARRYING_HEADERS = ['jku', 'x5u', 'jwk', 'x5c'] as const;

export interface VerifierOptions {
  /** The exact `iss` of accepted tokens; also where discovery looks (`<issuer>/.well-known/openid-configuration`). */
  issuer: string;
  /** The JWKS URL. Without it, discovery finds it, and the discovery document must name `issuer` exactly. */
  jwksUri?: string;
  /**
   * A shared HMAC secret instead of a JWKS (at least as long as the hash: 32 bytes for HS256). Only with HMAC
   * algorithms, and never beside a JWKS: a public key must never become an HMAC secret.
   */
  secret?: string | Uint8Array;
  /** Accepted when the token's `aud` holds at least one of these. Required. */
  audience: string | readonly string[];
  /** The JWS algorithms accepted: required, never `none`, HMAC only with `secret`. */
  algorithms: readonly string[];
  /** Accepted `typ` header values (compared as RFC 8725 §3.11 says). Default `at+jwt` (RFC 9068). */
  typ?: string | readonly string[];
  /** Leeway for `exp`, `nbf` and `iat`, in ms. Default 30 s. */
  clockSkew?: number;
  /** When set, a token whose `iat` is older than this (ms) is refused, whatever its `exp`. */
  maxTokenAge?: number;
  /** How claims make the principal. */
  claims?: ClaimMapping;
  /** A JWKS or discovery request fails after this many ms. Default 5 s. */
  fetchTimeout?: number;
  /** At most one JWKS refetch per this many ms for kids the cache does not hold. Default 30 s. */
  cooldown?: number;
  /** Fetched keys are refetched after this many ms. Default 10 min. */
  cacheMaxAge?: number;
  /** While refetching fails, keys past `cacheMaxAge` are still used for this many ms, then nothing is. Default 15 min. */
  staleIfError?: number;
  /** Plain http to a host that is not loopback. Never in production. */
  allowInsecureHttp?: boolean;
  fetch?: typeof globalThis.fetch;
  /** Clock in epoch ms (tests freeze it). */
  now?: () => number;
}

/** A token verified in full. */
export interface VerifiedJwt {
  principal: Principal;
  payload: JWTPayload;
  header: ProtectedHeaderParameters;
  /** The token's `exp` in epoch ms: nothing learned from it may be reused past this. */
  expiresAt: number;
}

export interface Verifier {
  readonly issuer: string;
  /** The principal of a valid token; otherwise a {@link TokenVerificationError} with its code. */
  verify(token: string): Promise<Principal>;
  /** {@link verify} with the verified claims and header. */
  verifyToken(token: string): Promise<VerifiedJwt>;
  /** Fetches the issuer's keys now (a warm-up): whether that worked (true with a shared secret); never throws. */
  prefetch(): Promise<boolean>;
  /** JWKS fetches (and attempts) made so far. */
  readonly jwksFetches: number;
}

interface Checked {
  issuer: string;
  jwksUri: URL | null;
  secret: Uint8Array | null;
  audiences: string[];
  algorithms: string[];
  typs: string[];
}

/**
 * A verifier of one issuer's JWTs, for a resource server: local signature checks against the issuer's JWKS
 * (RFC 8725 throughout), then the principal its claims make. It refuses to be created without an algorithm
 * allowlist, with `none`, with HMAC beside a JWKS, with a short HMAC secret, or without an issuer and audience.
 */
export function createVerifier(options: VerifierOptions): Verifier {
  const checked = checkOptions(options);
  const now = options.now ?? Date.now;
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const fetchTimeout = options.fetchTimeout ?? VERIFIER_DEFAULTS.fetchTimeout;
  const clockTolerance = (options.clockSkew ?? VERIFIER_DEFAULTS.clockSkew) / 1000;
  const maxTokenAge = options.maxTokenAge === undefined ? undefined : options.maxTokenAge / 1000;
  const allowInsecureHttp = options.allowInsecureHttp === true;
  // A copy: the mapping is part of every verdict, so a caller mutating its object later must not change them.
  const mapping = options.claims === undefined ? undefined : structuredClone(options.claims);

  let discovered: Promise<URL> | null = null;
  const jwks =
    checked.secret !== null
      ? null
      : new JwksCache({
          locate: () => {
            if (checked.jwksUri !== null) return Promise.resolve(checked.jwksUri);
            discovered ??= discoverJwksUri(checked.issuer, {
              fetch: fetchImpl,
              timeoutMs: fetchTimeout,
              allowInsecureHttp,
            });
            return discovered;
          },
          forgetLocation: () => {
            discovered = null;
          },
          fetch: fetchImpl,
          timeoutMs: fetchTimeout,
          cooldownMs: options.cooldown ?? VERIFIER_DEFAULTS.cooldown,
          maxAgeMs: options.cacheMaxAge ?? VERIFIER_DEFAULTS.cacheMaxAge,
          staleIfErrorMs: options.staleIfError ?? VERIFIER_DEFAULTS.staleIfError,
          now,
        });

  const keyFor = async (header: ProtectedHeaderParameters) => {
    if (checked.secret !== null) return checked.secret;
    return jwks!.keyFor(header.kid, header.alg!);
  };

  async function verifyToken(token: string): Promise<VerifiedJwt> {
    // Shape first, from the unverified header only: nothing here is trusted, it only decides what to refuse.
    if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) throw invalidToken();
    // A JWE has five parts (SECURITY.md #7); only a compact JWS is an access token here.
    if (token.split('.').length !== 3) throw invalidToken('The token is not a signed JWT.');
    let header: ProtectedHeaderParameters;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw invalidToken();
    }
    // The allowlist never holds `none` (SECURITY.md #1); the header may not choose anything else either.
    if (typeof header.alg !== 'string' || !checked.algorithms.includes(header.alg)) throw invalidToken();
    if (KEY_CARRYING_HEADERS.some((name) => Object.hasOwn(header, name))) throw invalidToken();
    // The kid is only ever a key of an in-memory map (SECURITY.md #4), but an absurd one is refused outright.
    if (header.kid !== undefined && (typeof header.kid !== 'string' || header.kid.length > 256)) throw invalidToken();
    const key = await keyFor(header);
    if (key === null) throw invalidToken();

    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key, {
        issuer: checked.issuer,
        audience: checked.audiences,
        algorithms: [header.alg],
        clockTolerance,
        currentDate: new Date(now()),
        requiredClaims: ['iss', 'exp', 'aud'],
        ...(maxTokenAge === undefined ? {} : { maxTokenAge }),
      }));
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) throw new TokenVerificationError('expired', 'The token has expired.');
      throw invalidToken();
    }
    if (!typAccepted(header.typ, checked.typs) || looksLikeIdToken(payload)) {
      throw invalidToken('The token is not an access token.');
    }
    let principal: Principal;
    try {
      principal = principalFromClaims(payload, mapping);
    } catch (error) {
      if (error instanceof ClaimProblem) throw invalidToken(`The token's claims are not valid: ${error.message}.`);
      throw error;
    }
    return { principal, payload, header, expiresAt: payload.exp! * 1000 };
  }

  return {
    issuer: checked.issuer,
    verifyToken,
    verify: async (token) => (await verifyToken(token)).principal,
    prefetch: async () => (jwks === null ? true : jwks.prefetch()),
    get jwksFetches() {
      return jwks?.fetches ?? 0;
    },
  };
}

/** `typ` compared as RFC 8725 §3.11 says: case-insensitive, an `application/` prefix ignored. */
function normalizeTyp(typ: string): string {
  const lower = typ.toLowerCase();
  return lower.startsWith('application/') ? lower.slice('application/'.length) : lower;
}

function typAccepted(typ: unknown, accepted: readonly string[]): boolean {
  return typeof typ === 'string' && accepted.includes(normalizeTyp(typ));
}

/**
 * An OpenID Connect ID token carries a `nonce` or hash claims, or (Keycloak) `typ: "ID"` in its payload; when the
 * accepted `typ` is as loose as `JWT`, these still tell it from an access token (SECURITY.md #11).
 */
function looksLikeIdToken(payload: JWTPayload): boolean {
  return 'nonce' in payload || 'at_hash' in payload || 'c_hash' in payload || payload['typ'] === 'ID';
}

const isDuration = (value: unknown) =>
  value === undefined || (typeof value === 'number' && Number.isFinite(value) && value >= 0);

function checkOptions(options: VerifierOptions): Checked {
  const problems: string[] = [];
  if (typeof options !== 'object' || options === null) throw new VerifierConfigError(['options must be an object']);
  const allowInsecureHttp = options.allowInsecureHttp === true;
  const url = (value: unknown, name: string): URL | null => {
    if (typeof value !== 'string') {
      problems.push(`${name} must be an absolute URL`);
      return null;
    }
    try {
      const parsed = new URL(value);
      const problem = insecureUrlProblem(parsed, allowInsecureHttp);
      if (problem) problems.push(`${name}: ${problem}`);
      return parsed;
    } catch {
      problems.push(`${name} must be an absolute URL`);
      return null;
    }
  };
  url(options.issuer, 'issuer');
  const jwksUri = options.jwksUri === undefined ? null : url(options.jwksUri, 'jwksUri');

  const audiences = typeof options.audience === 'string' ? [options.audience] : options.audience;
  if (
    !Array.isArray(audiences) ||
    audiences.length === 0 ||
    !audiences.every((a) => typeof a === 'string' && a !== '')
  ) {
    problems.push('audience is required: one or more non-empty strings');
  }

  const { algorithms } = options;
  if (!Array.isArray(algorithms) || algorithms.length === 0) {
    problems.push('algorithms is required: the list of JWS algorithms to accept (e.g. ["RS256"])');
  } else {
    for (const alg of algorithms) {
      if (typeof alg !== 'string' || alg.toLowerCase() === 'none') problems.push('algorithms must never admit "none"');
      else if (!isAsymmetric(alg) && !isHmac(alg))
        problems.push(`algorithms: unknown algorithm ${JSON.stringify(alg)}`);
    }
  }
  const hmac = Array.isArray(algorithms) ? algorithms.filter((alg) => typeof alg === 'string' && isHmac(alg)) : [];
  let secret: Uint8Array | null = null;
  if (options.secret !== undefined) {
    secret = typeof options.secret === 'string' ? new TextEncoder().encode(options.secret) : options.secret;
    if (!(secret instanceof Uint8Array)) problems.push('secret must be a string or a Uint8Array');
    else if (jwksUri !== null) problems.push('give secret or jwksUri, not both');
    else if (Array.isArray(algorithms) && hmac.length !== algorithms.length) {
      problems.push('with a secret, algorithms may hold only HMAC algorithms (HS256, HS384, HS512)');
    } else {
      for (const alg of hmac) {
        // RFC 7518 §3.2; SECURITY.md #12. The message never shows the secret, only its length.
        if (secret.byteLength < HMAC_MIN_SECRET_BYTES[alg]!) {
          problems.push(
            `secret is ${secret.byteLength * 8} bits; ${alg} needs at least ${HMAC_MIN_SECRET_BYTES[alg]! * 8}`,
          );
        }
      }
    }
  } else if (hmac.length > 0) {
    problems.push(
      `algorithms: ${hmac.join(', ')} needs a shared secret; an issuer with a JWKS signs with asymmetric keys only`,
    );
  }

  const typs =
    options.typ === undefined ? [VERIFIER_DEFAULTS.typ] : typeof options.typ === 'string' ? [options.typ] : options.typ;
  if (!Array.isArray(typs) || typs.length === 0 || !typs.every((typ) => typeof typ === 'string' && typ !== '')) {
    problems.push('typ must be one or more non-empty strings');
  }
  for (const name of ['clockSkew', 'maxTokenAge', 'fetchTimeout', 'cooldown', 'cacheMaxAge', 'staleIfError'] as const) {
    if (!isDuration(options[name])) problems.push(`${name} must be a number of milliseconds, 0 or more`);
  }
  if (options.fetchTimeout === 0) problems.push('fetchTimeout must be more than 0');
  problems.push(...claimMappingProblems(options.claims));
  if (problems.length > 0) throw new VerifierConfigError(problems);
  return {
    issuer: options.issuer,
    jwksUri,
    secret,
    audiences: [...(audiences as string[])],
    algorithms: [...algorithms],
    typs: (typs as string[]).map(normalizeTyp),
  };
}

const isPath = (value: unknown) => typeof value === 'string' && value !== '';
const isPathList = (value: unknown) => isPath(value) || (Array.isArray(value) && value.every(isPath));

/** What is wrong with a claim mapping: checked at creation, so a verification never trips over it. */
function claimMappingProblems(claims: ClaimMapping | undefined): string[] {
  if (claims === undefined) return [];
  if (typeof claims !== 'object' || claims === null) return ['claims must be an object'];
  const problems: string[] = [];
  for (const name of ['subject', 'tenant'] as const) {
    if (claims[name] !== undefined && !isPath(claims[name])) problems.push(`claims.${name} must be a claim path`);
  }
  for (const name of ['roles', 'scopes'] as const) {
    if (claims[name] !== undefined && !isPathList(claims[name])) {
      problems.push(`claims.${name} must be a claim path or a list of them`);
    }
  }
  const { admin, subjectType } = claims;
  if (admin !== undefined) {
    if (typeof admin !== 'object' || admin === null) problems.push('claims.admin must be { role?, claim? }');
    else {
      if (admin.role !== undefined && !isPath(admin.role)) problems.push('claims.admin.role must be a role name');
      if (admin.claim !== undefined && !isPath(admin.claim)) problems.push('claims.admin.claim must be a claim path');
    }
  }
  if (subjectType !== undefined) {
    const fixed = typeof subjectType === 'string' && (SUBJECT_TYPES as readonly string[]).includes(subjectType);
    const byClaim = typeof subjectType === 'object' && subjectType !== null && isPath(subjectType.claim);
    if (!fixed && !byClaim) problems.push(`claims.subjectType must be one of ${SUBJECT_TYPES.join(', ')} or { claim }`);
  }
  return problems;
}
