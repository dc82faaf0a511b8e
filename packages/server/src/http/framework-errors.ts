import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError } from 'fastify';
import { ERRORS, type ErrorCode } from '../errors/registry.js';
import { WardenError } from '../errors/warden-error.js';
import { isStorageFault } from '../store/faults.js';

/**
 * Errors raised by Fastify itself, each turned into a registry code with a fixed message. Their own messages may
 * quote the request (a path, a header, part of a body), and a request may carry a secret: none of it is echoed
 * (SECURITY.md #54).
 */
const FRAMEWORK_ERRORS: Record<string, [ErrorCode, string?]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: ['payload_too_large'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ['unsupported_media_type'],
  FST_ERR_CTP_EMPTY_JSON_BODY: ['invalid_request', 'The JSON body is empty.'],
  FST_ERR_CTP_INVALID_JSON_BODY: ['invalid_request', 'The body is not valid JSON.'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: ['invalid_request', 'Content-Length does not match the body.'],
  FST_ERR_BAD_URL: ['invalid_request', 'The request path is not a valid URL.'],
  FST_ERR_MAX_PARAM_LENGTH: ['uri_too_long'],
};

/**
 * Any error as a {@link WardenError}: ours as they are, storage faults as `unavailable`, Fastify's by the table
 * above, anything else as `internal_error` (whose message is never shown). The HTTP error handler renders the
 * result with `apiErrorBody`; the caller logs the original when the status is 5xx.
 */
export function toWardenError(error: unknown): WardenError {
  if (error instanceof WardenError) return error;
  if (isStorageFault(error)) return new WardenError('unavailable', 'Storage is not reachable.', { cause: error });
  const { code, statusCode } = (error ?? {}) as Partial<FastifyError>;
  const known = code === undefined ? undefined : FRAMEWORK_ERRORS[code];
  if (known) return new WardenError(known[0], known[1]);
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500)
    return new WardenError('invalid_request', 'The request could not be read.');
  return new WardenError('internal_error', undefined, { cause: error });
}

/** Node's HTTP parser errors ('clientError'), by the `code` Node gives them. */
const CLIENT_ERRORS: Record<string, ErrorCode> = {
  ERR_HTTP_REQUEST_TIMEOUT: 'request_timeout',
  HPE_HEADER_OVERFLOW: 'request_header_too_large',
};

/**
 * Answers a request Node's HTTP parser refused (a NUL byte in a header value, a broken request line, headers
 * too large, a timeout) with the registry's body, then closes the connection: after a parse error the rest of
 * the stream cannot be trusted to start a new request.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  // A reset connection is already gone; there is no one to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable) {
    const code = (error.code && CLIENT_ERRORS[error.code]) || 'invalid_request';
    const { status } = ERRORS[code];
    const message = code === 'invalid_request' ? 'Malformed HTTP request.' : ERRORS[code].message;
    const body = JSON.stringify({ error: code, message });
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
