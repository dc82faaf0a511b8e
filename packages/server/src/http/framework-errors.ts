import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError } from 'fastify';
import { KeyOperationError } from '../keys/errors.js';
import { isStorageFault } from '../store/faults.js';
import { type ApiErrorCode, HttpError, statusFor } from './errors.js';

/** An error as the wire shows it: a registry code, its status and a fixed message. */
export interface RenderedError {
  status: number;
  code: string;
  message: string;
}

const fixed = (code: ApiErrorCode, message: string): RenderedError => ({ status: statusFor(code), code, message });

/**
 * Errors raised by Fastify itself, each with a fixed message. Their own messages may quote the request (a
 * path, a header, part of a body), and a request may carry a secret: none of it is echoed (SECURITY.md #54).
 */
const FRAMEWORK_ERRORS: Record<string, RenderedError> = {
  FST_ERR_CTP_BODY_TOO_LARGE: fixed('payload_too_large', 'The request body is too large.'),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: fixed('unsupported_media_type', 'Send a JSON body (application/json).'),
  FST_ERR_CTP_EMPTY_JSON_BODY: fixed('invalid_request', 'The JSON body is empty.'),
  FST_ERR_CTP_INVALID_JSON_BODY: fixed('invalid_request', 'The body is not valid JSON.'),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: fixed('invalid_request', 'Content-Length does not match the body.'),
  FST_ERR_BAD_URL: fixed('invalid_request', 'The request path is not a valid URL.'),
  FST_ERR_MAX_PARAM_LENGTH: fixed('uri_too_long', 'A segment of the request path is too long.'),
};

/** Maps any error to `{error, message}` with a stable code. Never a stack trace, never a secret. */
export function renderError(error: FastifyError | Error): RenderedError {
  if (error instanceof HttpError || error instanceof KeyOperationError)
    return { status: statusFor(error.code), code: error.code, message: error.message };
  if (isStorageFault(error)) return { status: 503, code: 'unavailable', message: 'Storage is not reachable.' };
  const { code, statusCode } = error as FastifyError;
  const known = code === undefined ? undefined : FRAMEWORK_ERRORS[code];
  if (known) return known;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500)
    return fixed('invalid_request', 'The request could not be read.');
  return fixed('internal_error', 'Internal error.');
}

/** Node's HTTP parser errors ('clientError'), by the `code` Node gives them. */
const CLIENT_ERRORS: Record<string, RenderedError> = {
  ERR_HTTP_REQUEST_TIMEOUT: fixed('request_timeout', 'The request did not arrive in time.'),
  HPE_HEADER_OVERFLOW: fixed('request_header_too_large', 'The request headers are too large.'),
};
const MALFORMED_HTTP = fixed('invalid_request', 'Malformed HTTP request.');

/**
 * Answers a request Node's HTTP parser refused (a NUL byte in a header value, a broken request line, headers
 * too large, a timeout) with the registry's body, then closes the connection: after a parse error the rest of
 * the stream cannot be trusted to start a new request.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  // A reset connection is already gone; there is no one to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable) {
    const { status, code, message } = (error.code && CLIENT_ERRORS[error.code]) || MALFORMED_HTTP;
    const body = JSON.stringify({ error: code, message });
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
