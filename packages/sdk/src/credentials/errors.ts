/**
 * Stable error codes of the outbound credential manager. Callers match on `code`, never on message text.
 * Messages name the credential and what went wrong, and never contain a secret.
 */
export const CREDENTIAL_ERROR_CODES = {
  /** The credentials file or object is invalid; `issues` lists every problem per credential. */
  config_invalid: { retryable: false },
  /** No credential with that name is configured. */
  unknown_credential: { retryable: false },
  /** The server wants a one-time password and no `otp` callback is configured (or it gave none). */
  otp_required: { retryable: false },
  /** The one-time password was wrong or expired. */
  otp_invalid: { retryable: false },
  /** Wrong username/password, or an expired/revoked refresh token or code (RFC 6749 invalid_grant). */
  invalid_grant: { retryable: false },
  /** The client is unknown, disabled, or its authentication failed (RFC 6749 invalid_client). */
  invalid_client: { retryable: false },
  /** The client may not use this grant (RFC 6749 unauthorized_client / unsupported_grant_type). */
  unauthorized_client: { retryable: false },
  /** A requested scope, audience or resource was refused (invalid_scope / invalid_target). */
  invalid_scope: { retryable: false },
  /** The request was malformed in the server's view (RFC 6749 invalid_request). */
  invalid_request: { retryable: false },
  /** The user or server denied the authorization request. */
  access_denied: { retryable: false },
  /** The token endpoint answered with an error this library does not classify (5xx, 429, unknown codes). */
  token_endpoint_error: { retryable: true },
  /** The token or discovery endpoint could not be reached or timed out. */
  endpoint_unreachable: { retryable: true },
  /** The server answered with something that is not a valid OAuth 2.0 response (HTML, bad JSON, no token). */
  invalid_response: { retryable: true },
  /** Discovery failed or returned metadata that does not match the configured issuer. */
  discovery_failed: { retryable: true },
  /** An authorization-code credential has no token yet: run `login()` or `beginLogin()` first. */
  login_required: { retryable: false },
  /** A login callback carried an unknown, reused or mismatching `state`. */
  login_state_invalid: { retryable: false },
  /** A pending login expired before its callback arrived. */
  login_expired: { retryable: false },
  /** The loopback listener waited too long for the browser to come back. */
  login_timeout: { retryable: false },
  /** The manager was closed. */
  closed: { retryable: false },
  /** A fault inside this library or a callback (a bug, not an answer of a server); details are in `cause`. */
  internal_error: { retryable: false },
  /** A required optional peer dependency (amqplib) is not installed. */
  dependency_missing: { retryable: false },
} as const satisfies Record<string, { retryable: boolean }>;

export type CredentialErrorCode = keyof typeof CREDENTIAL_ERROR_CODES;

export interface CredentialErrorOptions {
  /** Name of the credential the error concerns. */
  credential?: string;
  /** HTTP status of the answer that caused it, when there was one. */
  status?: number;
  /** The `error` field of an RFC 6749 error answer, as the server sent it. */
  oauthError?: string;
  cause?: unknown;
}

/** A failure of the outbound credential manager, with a stable {@link CredentialErrorCode}. */
export class CredentialError extends Error {
  override name = 'CredentialError';
  readonly code: CredentialErrorCode;
  readonly credential: string | undefined;
  readonly status: number | undefined;
  readonly oauthError: string | undefined;

  constructor(code: CredentialErrorCode, message: string, options: CredentialErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.credential = options.credential;
    this.status = options.status;
    this.oauthError = options.oauthError;
  }

  /** Whether trying again later may succeed (network faults, 5xx), as opposed to a definite refusal. */
  get retryable(): boolean {
    return CREDENTIAL_ERROR_CODES[this.code].retryable;
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      credential: this.credential,
      status: this.status,
      oauthError: this.oauthError,
    };
  }
}

/** One credential's problems in a configuration, and the field combinations its type accepts. */
export interface CredentialConfigIssue {
  credential: string;
  type: string | undefined;
  problems: string[];
  validCombinations: string[];
}

/** The configuration is invalid. One issue per credential; the message lists them all. */
export class CredentialConfigError extends CredentialError {
  override name = 'CredentialConfigError';
  readonly issues: readonly CredentialConfigIssue[];

  constructor(issues: CredentialConfigIssue[], source?: string) {
    super('config_invalid', formatIssues(issues, source));
    this.issues = Object.freeze(issues.map((issue) => Object.freeze({ ...issue })));
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), issues: this.issues };
  }
}

function formatIssues(issues: CredentialConfigIssue[], source?: string): string {
  const head = `invalid credentials configuration${source ? ` in ${source}` : ''}`;
  const parts = issues.map((issue) => {
    const typeText = issue.type ? ` (type ${issue.type})` : '';
    const lines = [`credential "${issue.credential}"${typeText}: ${issue.problems.join('; ')}`];
    if (issue.validCombinations.length > 0) {
      lines.push(`  valid combinations for ${issue.type ?? 'this credential'}:`);
      for (const combination of issue.validCombinations) lines.push(`    - ${combination}`);
    }
    return lines.join('\n');
  });
  return `${head}:\n${parts.join('\n')}`;
}
