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
  // mTLS: which check of a client certificate failed (never the expected key).
  certificate_malformed: { status: 401, message: 'The client certificate cannot be parsed.' },
  certificate_no_subject: { status: 401, message: 'The client certificate names no Organization (or Common Name).' },
  certificate_not_registered: { status: 401, message: 'No public key is registered for this certificate subject.' },
  certificate_key_mismatch: {
    status: 401,
    message: 'The certificate public key is not the one registered for its subject.',
  },
  certificate_expired: { status: 401, message: 'The client certificate has expired.' },
  certificate_not_yet_valid: { status: 401, message: 'The client certificate is not valid yet.' },
  certificate_untrusted: { status: 401, message: 'The client certificate is not issued by a trusted CA.' },
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
