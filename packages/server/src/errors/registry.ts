import { DECISION_ERRORS } from '@warden/sdk';
import { CREDENTIAL_ERROR_CODES } from '@warden/sdk/credentials';

/** What an error code means everywhere it can surface. */
export interface ErrorSpec {
  /** HTTP status when it answers a request. */
  status: number;
  /** CLI exit code: 1 a negative answer (invalid key, no such key, a refusal), 2 a usage or configuration mistake. */
  exit: 1 | 2;
  /** The message shown when the error carries none of its own, or when its own may not be shown. */
  message: string;
  /**
   * Whether the message an error was raised with may be shown to a remote caller. False for faults, whose
   * messages describe internals: the caller gets `message` above, the log gets the rest.
   */
  expose: boolean;
}

const spec = (status: number, exit: 1 | 2, message: string, expose = true): ErrorSpec => ({
  status,
  exit,
  message,
  expose,
});

/** Decision codes (the SDK's public registry): status and message from there; a CLI shows them as exit 1. */
const decisionErrors = Object.fromEntries(
  Object.entries(DECISION_ERRORS).map(([code, { status, message }]) => [code, spec(status, 1, message)]),
) as { [Code in keyof typeof DECISION_ERRORS]: ErrorSpec };

/** Codes of the admin API, the CLI and the HTTP layer. */
const apiErrors = {
  invalid_request: spec(400, 2, 'The request is not valid.'),
  not_found: spec(404, 1, 'No such resource.'),
  method_not_allowed: spec(405, 2, 'This method is not allowed here.'),
  request_timeout: spec(408, 1, 'The request did not arrive in time.'),
  conflict: spec(409, 1, 'The resource is not in a state that allows this.'),
  payload_too_large: spec(413, 2, 'The request body is too large.'),
  uri_too_long: spec(414, 2, 'A segment of the request path is too long.'),
  unsupported_media_type: spec(415, 2, 'Send a JSON body (application/json).'),
  request_header_too_large: spec(431, 2, 'The request headers are too large.'),
  config_invalid: spec(500, 2, 'The configuration is not valid.', false),
  /** A stored signing key does not decrypt: the master key differs from the one it was encrypted with. */
  master_key_mismatch: spec(500, 2, 'The signing keys cannot be decrypted with this master key.', false),
  /** `warden token inspect`: the input is not a JWT that can be decoded. */
  not_decodable: spec(400, 1, 'The token cannot be decoded.'),
  internal_error: spec(500, 1, 'Internal error.', false),
} as const satisfies Record<string, ErrorSpec>;

/**
 * RFC 6749 section 5.2 codes, answered by the OAuth 2.0 endpoints in the `{error, error_description}` shape
 * (`invalid_request` is shared with the API above).
 */
const oauthErrors = {
  invalid_client: spec(401, 1, 'Client authentication failed.'),
  invalid_grant: spec(400, 1, 'The grant is invalid, expired or revoked.'),
  unauthorized_client: spec(400, 1, 'The client may not use this grant type.'),
  unsupported_grant_type: spec(400, 2, 'The grant type is not supported.'),
  invalid_scope: spec(400, 1, 'The requested scope is invalid or exceeds what the client may ask for.'),
  /** RFC 8707 section 2 (and RFC 8693 for `audience`): a resource or audience the client may not get a token for. */
  invalid_target: spec(400, 1, 'The requested resource or audience is invalid or not allowed for this client.'),
} as const satisfies Record<string, ErrorSpec>;

/**
 * The outbound credential manager's codes (the SDK's registry), as `warden token` reports them: configuration
 * and naming mistakes are usage errors, everything else (a refusal or fault of the authorization server) is a
 * negative answer. Codes the registries above already define keep their meaning there.
 */
const CREDENTIAL_USAGE_CODES: ReadonlySet<string> = new Set(['config_invalid', 'unknown_credential']);
export const CREDENTIAL_ERRORS = Object.fromEntries(
  Object.keys(CREDENTIAL_ERROR_CODES).map((code) => [
    code,
    spec(502, CREDENTIAL_USAGE_CODES.has(code) ? 2 : 1, 'An outbound credential could not be obtained.'),
  ]),
) as { [Code in keyof typeof CREDENTIAL_ERROR_CODES]: ErrorSpec };

/** The one registry of error codes: every error Warden raises or answers has its code here. */
export const ERRORS = { ...CREDENTIAL_ERRORS, ...decisionErrors, ...oauthErrors, ...apiErrors } as const;
export type ErrorCode = keyof typeof ERRORS;
