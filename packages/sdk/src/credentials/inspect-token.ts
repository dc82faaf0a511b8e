import { decodeJwt, decodeProtectedHeader } from 'jose';

/** A JWT's header and claims, read without any verification. */
export interface UnverifiedJwt {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  /** Expiry from `exp`, or null when the token has none. */
  expiresAt: Date | null;
}

/**
 * Decode a JWS-compact JWT for display (`warden token inspect`, debugging). Nothing is verified: never base a
 * decision on the result. Returns a reason instead of throwing, and never repeats the input in it.
 */
export function decodeUnverifiedJwt(token: string): UnverifiedJwt | { error: string } {
  const parts = token.trim().split('.');
  if (parts.length === 5)
    return { error: 'this is a JWE (encrypted token); its claims cannot be read without the key' };
  if (parts.length !== 3) return { error: 'not a JWT (expected three base64url parts: header.claims.signature)' };
  try {
    const header = decodeProtectedHeader(token.trim()) as Record<string, unknown>;
    const claims = decodeJwt(token.trim()) as Record<string, unknown>;
    const expiresAt = typeof claims['exp'] === 'number' ? new Date(claims['exp'] * 1000) : null;
    return { header, claims, expiresAt };
  } catch {
    return { error: 'not a JWT (its header or claims are not base64url-encoded JSON)' };
  }
}
