/**
 * What a failed verification answers: the decision codes a caller maps to HTTP (`invalid_credentials` and
 * `expired` are 401, `unavailable` is 503). Messages are fixed per cause and never contain the token.
 */
export const VERIFICATION_ERROR_CODES = ['invalid_credentials', 'expired', 'unavailable'] as const;
export type VerificationErrorCode = (typeof VERIFICATION_ERROR_CODES)[number];

/** A token that was not accepted, or could not be checked (`unavailable`: the issuer's keys could not be fetched). */
export class TokenVerificationError extends Error {
  override readonly name = 'TokenVerificationError';
  constructor(
    readonly code: VerificationErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A verifier (or middleware) that cannot be created safely: it refuses to exist rather than verify loosely. */
export class VerifierConfigError extends Error {
  override readonly name = 'VerifierConfigError';
  readonly code = 'config_invalid' as const;
  constructor(readonly problems: readonly string[]) {
    super(`invalid verifier options: ${problems.join('; ')}`);
  }
}

export const invalidToken = (message = 'The token is not valid.') =>
  new TokenVerificationError('invalid_credentials', message);
