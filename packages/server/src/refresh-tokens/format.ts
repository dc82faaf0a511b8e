import { randomBase62 } from '../util/base62.js';

/**
 * Refresh tokens are opaque: `wrt_` + a 16-character public id + `_` + a 43-character secret (256 bits), base62
 * from the CSPRNG. The id finds the row; only an HMAC-SHA256 digest of the secret is stored. The prefix tells
 * them apart from API keys and JWTs (introspection, revocation, secret scanners).
 */
export const REFRESH_TOKEN_PREFIX = 'wrt_';
const ID_LENGTH = 16;
const SECRET_LENGTH = 43;
const SHAPE = /^wrt_([0-9A-Za-z]{16})_([0-9A-Za-z]{43})$/;

export interface MintedRefreshToken {
  id: string;
  secret: string;
  token: string;
}

export function mintRefreshToken(): MintedRefreshToken {
  const id = randomBase62(ID_LENGTH);
  const secret = randomBase62(SECRET_LENGTH);
  return { id, secret, token: `${REFRESH_TOKEN_PREFIX}${id}_${secret}` };
}

/** The id and secret of a well-formed refresh token; null for anything else (never looked up). */
export function parseRefreshToken(value: string): { id: string; secret: string } | null {
  const match = SHAPE.exec(value);
  return match === null ? null : { id: match[1]!, secret: match[2]! };
}

export const looksLikeRefreshToken = (value: string): boolean => value.startsWith(REFRESH_TOKEN_PREFIX);
