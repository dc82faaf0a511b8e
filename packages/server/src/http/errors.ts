import { DECISION_ERRORS, isDecisionErrorCode } from '@warden/sdk';

/**
 * Error codes of the HTTP API beyond the decision codes (which live in the SDK's registry), with their status.
 * Every error body is `{"error": CODE, "message": TEXT}`; messages never carry a secret.
 */
export const API_ERRORS = {
  invalid_request: 400,
  not_found: 404,
  method_not_allowed: 405,
  request_timeout: 408,
  conflict: 409,
  payload_too_large: 413,
  uri_too_long: 414,
  unsupported_media_type: 415,
  request_header_too_large: 431,
  internal_error: 500,
} as const;
export type ApiErrorCode = keyof typeof API_ERRORS;

export function statusFor(code: string): number {
  if (isDecisionErrorCode(code)) return DECISION_ERRORS[code].status;
  return (API_ERRORS as Record<string, number>)[code] ?? 500;
}

/** A request the API refuses with a 4xx; thrown from handlers, rendered by the app's error handler. */
export class HttpError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}
