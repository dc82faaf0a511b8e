import type { KeyObject } from 'node:crypto';
import type { Principal } from '@warden/sdk';
import { type CryptoKey, type JWTPayload, type JWTVerifyGetKey, errors as joseErrors, jwtVerify } from 'jose';
import { denied } from '../authn/types.js';
import type { TokenRejection, TokenVerifier, VerifiedToken } from './token-verifier.js';

/** The public half of Warden's signing keys, as the verifier needs it. */
export interface VerificationKeys {
  /**
   * The public key published under `kid` and the one algorithm it signs with; null when no published key has
   * that kid. May read the store (a key another instance just published); a storage fault throws.
   */
  verificationKey(kid: string): Promise<{ key: KeyObject | CryptoKey; algorithm: string } | null>;
}

export interface WardenTokenVerifierOptions {
  /** The `iss` every accepted token carries: Warden's own issuer URL. */
  issuer: string;
  /** A token is accepted when its `aud` holds at least one of these; empty: any audience (introspection). */
  audiences: readonly string[];
  /** Leeway for `exp`, `nbf` and `iat`, in seconds. */
  clockToleranceSeconds: number;
  now: () => number;
}

/** A kid no published key has, or a header algorithm other than its key's: the token is not ours. */
class NotOurKey extends Error {}

/**
 * Verifies the JWT access tokens Warden issues (RFC 9068: `typ: at+jwt`), locally: signature against the
 * published signing keys, with the algorithm of the key the `kid` names (never the one the header asks for, so
 * `none` and HMAC-with-the-public-key are refused), issuer, audience, lifetime, and the claims a principal is
 * made of.
 */
export class WardenTokenVerifier implements TokenVerifier {
  readonly issuer: string;
  private readonly getKey: JWTVerifyGetKey;

  constructor(
    private readonly keys: VerificationKeys,
    private readonly options: WardenTokenVerifierOptions,
  ) {
    this.issuer = options.issuer;
    this.getKey = async (header) => {
      const found = header.kid === undefined ? null : await this.keys.verificationKey(header.kid);
      if (found === null || found.algorithm !== header.alg) throw new NotOurKey();
      return found.key;
    };
  }

  async verify(token: string): Promise<VerifiedToken | TokenRejection> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.getKey, {
        issuer: this.options.issuer,
        ...(this.options.audiences.length > 0 ? { audience: [...this.options.audiences] } : {}),
        typ: 'at+jwt',
        clockTolerance: this.options.clockToleranceSeconds,
        currentDate: new Date(this.options.now()),
        requiredClaims: ['sub', 'exp', 'iat', 'jti'],
      }));
    } catch (error) {
      return rejection(error);
    }
    const principal = principalFromClaims(payload);
    if (principal === null) {
      return denied('invalid_credentials', 'The token lacks the claims of a Warden access token.') as TokenRejection;
    }
    return { principal, expiresAt: payload.exp! * 1000, revocableId: payload.jti! };
  }
}

/** A verification failure as a denial; anything that is not a verdict on the token (a storage fault) rethrows. */
export function rejection(error: unknown): TokenRejection {
  if (error instanceof joseErrors.JWTExpired) return denied('expired', 'The token has expired.') as TokenRejection;
  if (error instanceof NotOurKey || error instanceof joseErrors.JOSEError) {
    return denied('invalid_credentials', 'The token is not valid.') as TokenRejection;
  }
  throw error;
}

const stringList = (value: unknown): string[] | null =>
  Array.isArray(value) && value.every((item) => typeof item === 'string') ? [...value] : null;

/**
 * The principal of a verified Warden access token. Claims Warden writes: `sub`, `client_id`, `scope`
 * (space-separated), and `tenant`, `roles`, `admin` when the client has them. A claim of the wrong type makes the
 * token invalid rather than quietly dropping a restriction.
 */
export function principalFromClaims(payload: JWTPayload): Principal | null {
  const { sub, scope, tenant, roles, admin, client_id: clientId } = payload as JWTPayload & Record<string, unknown>;
  if (typeof sub !== 'string' || sub === '') return null;
  if (scope !== undefined && typeof scope !== 'string') return null;
  if (tenant !== undefined && tenant !== null && typeof tenant !== 'string') return null;
  if (admin !== undefined && typeof admin !== 'boolean') return null;
  const roleList = roles === undefined ? [] : stringList(roles);
  if (roleList === null) return null;
  return Object.freeze({
    subject: sub,
    // A client_credentials token's subject is the client itself: a service.
    subjectType: clientId === sub ? 'service' : 'user',
    tenant: typeof tenant === 'string' ? tenant : null,
    admin: admin === true,
    roles: roleList,
    scopes: typeof scope === 'string' ? scope.split(' ').filter((item) => item !== '') : [],
    metadata: {},
    credential: {
      kind: 'jwt',
      id: payload.jti!,
      issuer: payload.iss!,
      expiresAt: new Date(payload.exp! * 1000).toISOString(),
    },
  } satisfies Principal);
}
