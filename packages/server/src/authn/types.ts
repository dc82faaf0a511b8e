import type { CredentialKind, DecisionErrorCode, Principal } from '@warden/sdk';
import type { MaybePromise } from '../util/maybe-promise.js';
import type { PresentedCredential } from './presented.js';

/** What an entry point knows about the request being decided. Header names are lower-case. */
export interface RequestAttributes {
  method: string;
  host: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** The address of the peer that sent the request (the proxy, for the decision endpoint). */
  peer: string;
  /**
   * The client certificate (PEM) of the TLS connection, or one a trusted proxy forwarded; mTLS authenticators
   * read it. Cookies are in `headers.cookie`; authenticators ask for theirs by name (see `presentedCredentials`).
   */
  clientCertificate?: string;
  /**
   * A client certificate a trusted proxy (`server.trusted_proxies`) forwarded in one of `mtls.proxy_headers`,
   * as the header's raw value: set only for a trusted peer (SECURITY.md #44), decoded by the mTLS authenticator.
   */
  forwardedCertificate?: ForwardedCertificate;
}

/** A certificate header as a trusted proxy sent it; `header` names its format (src/mtls/forwarded/). */
export interface ForwardedCertificate {
  header: 'x-client-cert' | 'client-cert' | 'x-forwarded-client-cert';
  value: string;
}

/** A verification answers with a value; only faults (storage down, bugs) throw. */
export type AuthResult =
  | { ok: true; principal: Principal }
  | { ok: false; code: DecisionErrorCode; message?: string; credentialId?: string };

export function denied(code: DecisionErrorCode, message?: string, credentialId?: string): AuthResult {
  return { ok: false, code, ...(message ? { message } : {}), ...(credentialId ? { credentialId } : {}) };
}

/**
 * One way of proving who is calling. Each lives in its own file and joins the chain through its capability;
 * the chain never names a kind.
 */
export interface Authenticator {
  /** The credential kind it verifies, as recorded in principals and failure audit records. */
  readonly kind: CredentialKind;
  /** Cookie names it reads (a session authenticator); the chain parses cookies only when one is named. */
  readonly cookieNames?: readonly string[];
  /** Whether this presented credential is one it verifies (cheap, no I/O). */
  accepts(credential: PresentedCredential): boolean;
  /**
   * Verifies a credential it accepted: a value for an answer, a throw (or rejection) only for a fault. Answers
   * synchronously when it needs no I/O.
   */
  authenticate(credential: PresentedCredential, attributes: RequestAttributes): MaybePromise<AuthResult>;
}
