/**
 * The one registry of decision error codes and the HTTP status each maps to. These names are part of the
 * public contract (DESIGN.md): proxies, SDK users and dashboards match on them.
 */
export const DECISION_ERRORS = {
  missing_credentials: { status: 401, message: 'No credentials were presented.' },
  malformed_credentials: { status: 401, message: 'The credentials are malformed.' },
  invalid_credentials: { status: 401, message: 'The credentials are not valid.' },
  expired: { status: 401, message: 'The credentials have expired.' },
  revoked: { status: 401, message: 'The credentials have been revoked.' },
  insufficient_scope: { status: 403, message: 'The credentials lack a required scope.' },
  forbidden: { status: 403, message: 'Access to this resource is forbidden.' },
  rate_limited: { status: 429, message: 'Too many requests.' },
  unavailable: { status: 503, message: 'Authentication is temporarily unavailable.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type DecisionErrorCode = keyof typeof DECISION_ERRORS;

export function isDecisionErrorCode(value: string): value is DecisionErrorCode {
  return Object.hasOwn(DECISION_ERRORS, value);
}

/**
 * RFC 6750 §3.1 error attribute for a decision code: which of invalid_request / invalid_token /
 * insufficient_scope a bearer-token client should see, or none when no credential was sent.
 */
export function bearerErrorFor(
  code: DecisionErrorCode,
): 'invalid_request' | 'invalid_token' | 'insufficient_scope' | null {
  switch (code) {
    case 'missing_credentials':
      return null;
    case 'malformed_credentials':
      return 'invalid_request';
    case 'insufficient_scope':
      return 'insufficient_scope';
    case 'invalid_credentials':
    case 'expired':
    case 'revoked':
      return 'invalid_token';
    default:
      return null;
  }
}
