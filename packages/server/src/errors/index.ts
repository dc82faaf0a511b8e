export { apiErrorBody, oauthErrorBody } from './bodies.js';
export { CREDENTIAL_ERRORS, ERRORS, type ErrorCode, type ErrorSpec } from './registry.js';
export { WardenError, type WardenErrorOptions } from './warden-error.js';
