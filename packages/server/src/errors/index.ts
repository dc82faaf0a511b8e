export { apiErrorBody, oauthErrorBody } from './bodies.js';
export { ERRORS, type ErrorCode, type ErrorSpec, isErrorCode } from './registry.js';
export { WardenError, type WardenErrorOptions } from './warden-error.js';
