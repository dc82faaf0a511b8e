import { decodeJwt } from 'jose';
import { CredentialError } from '../errors.js';
import type { IssuedCredential } from '../providers/provider.js';
import { Secret } from '../secret.js';
import type { HttpAnswer } from './http.js';

interface TokenResponseBody {
  access_token?: unknown;
  token_type?: unknown;
  expires_in?: unknown;
  refresh_token?: unknown;
  scope?: unknown;
}

/**
 * Turns a successful token response into an {@link IssuedCredential}, in local clock time.
 *
 * Expiry: `expires_in` counted from when the answer arrived (immune to clock skew). Without it, a JWT access
 * token's `exp - iat` gives the lifetime, again counted locally; a JWT without `iat` has its `exp` shifted by the
 * skew between the server's `Date` header and our clock. Without any of these the expiry is unknown (null): the
 * token is used until a resource answers 401, which `CredentialManager.fetch` turns into a refresh.
 */
export function readTokenResponse(
  credential: string,
  answer: HttpAnswer,
  receivedAt: number,
  previousRefreshToken: Secret | null,
): IssuedCredential {
  const body = answer.json as TokenResponseBody;
  const invalid = (reason: string) =>
    new CredentialError('invalid_response', `credential "${credential}": token response ${reason}`, {
      credential,
      status: answer.status,
    });
  if (typeof body.access_token !== 'string' || body.access_token === '') throw invalid('has no access_token');
  if (
    body.token_type !== undefined &&
    (typeof body.token_type !== 'string' || body.token_type.toLowerCase() !== 'bearer')
  ) {
    // DPoP or MAC tokens need proof on every request; sending them as Bearer would fail confusingly later.
    throw invalid(`has token_type "${String(body.token_type).slice(0, 20)}"; only Bearer tokens are supported`);
  }
  const accessToken = new Secret(body.access_token);
  const expiresAt = computeExpiry(body, accessToken, answer.serverDate, receivedAt, invalid);
  const refreshToken =
    typeof body.refresh_token === 'string' && body.refresh_token !== ''
      ? new Secret(body.refresh_token)
      : previousRefreshToken;
  return {
    token: accessToken,
    headers: { authorization: new Secret(`Bearer ${body.access_token}`) },
    expiresAt: expiresAt === null ? null : new Date(expiresAt),
    obtainedAt: new Date(receivedAt),
    refreshToken,
    scope: typeof body.scope === 'string' ? body.scope : null,
  };
}

function computeExpiry(
  body: TokenResponseBody,
  accessToken: Secret,
  serverDate: number | null,
  receivedAt: number,
  invalid: (reason: string) => CredentialError,
): number | null {
  if (body.expires_in !== undefined && body.expires_in !== null) {
    // Some servers send the number as a string; accept it, but nothing else.
    const seconds = typeof body.expires_in === 'string' ? Number(body.expires_in) : body.expires_in;
    if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0) {
      throw invalid('has an expires_in that is not a positive number of seconds');
    }
    return receivedAt + seconds * 1000;
  }
  const claims = decodeClaims(accessToken.reveal());
  if (!claims || typeof claims.exp !== 'number') return null;
  if (typeof claims.iat === 'number') {
    const lifetimeSeconds = claims.exp - claims.iat;
    if (lifetimeSeconds <= 0) throw invalid('has a JWT access token whose exp is not after its iat');
    return receivedAt + lifetimeSeconds * 1000;
  }
  const skew = serverDate === null ? 0 : receivedAt - serverDate;
  // The Date header has one-second resolution; smaller differences are noise, not skew.
  const expiresAt = claims.exp * 1000 + (Math.abs(skew) > 2000 ? skew : 0);
  if (expiresAt <= receivedAt) {
    throw invalid(
      'has a JWT access token that is already expired on arrival (no expires_in, no iat; check the clocks of both hosts)',
    );
  }
  return expiresAt;
}

function decodeClaims(token: string): { exp?: unknown; iat?: unknown } | null {
  if (token.split('.').length !== 3) return null;
  try {
    // Not a verification: the token is opaque to its client, the claims only help plan the refresh.
    return decodeJwt(token);
  } catch {
    return null;
  }
}
