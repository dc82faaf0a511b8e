import type { WardenError } from './warden-error.js';

/** The body of every API error answer: `{"error": CODE, "message": TEXT}`. */
export function apiErrorBody(error: WardenError): { error: string; message: string } {
  return { error: error.code, message: error.publicMessage };
}

/** The body of an OAuth 2.0 endpoint's error answer (RFC 6749 section 5.2): `{error, error_description}`. */
export function oauthErrorBody(error: WardenError): { error: string; error_description: string } {
  return { error: error.code, error_description: error.publicMessage };
}
