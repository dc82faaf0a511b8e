import type { JWTPayload } from 'jose';

/**
 * What issues Warden's JWTs: the signing-keys capability implements it, the token endpoint (clients capability)
 * and later the login flows use it. Only the active signing key signs; its `kid` and algorithm go in the header.
 */
export interface TokenSigner {
  /** The issuer URL every token carries in `iss` (config `issuer`), without a trailing slash. */
  readonly issuer: string;
  /**
   * Signs `claims` with the active signing key. `typ` is the JOSE header type (`at+jwt` for access tokens, RFC
   * 9068). `iss` is set to {@link issuer}; the caller sets everything else (sub, aud, exp, iat, jti, ...).
   */
  sign(claims: JWTPayload, typ: string): Promise<string>;
}
