import type { IncomingMessage } from 'node:http';
import { headerValue } from '../request-attributes.js';

/**
 * The request as it reached the decision endpoint: its own method and `Host`, and the path after `/v1/decide`.
 * This is how Envoy's `ext_authz` HTTP service (with `path_prefix: /v1/decide`) and Oathkeeper-style callers ask,
 * and what every request from an untrusted peer is decided on, whatever it claims in forwarded headers.
 */
export function plainPath(
  request: IncomingMessage,
  pathAfterDecide: string,
): { method: string; host: string; path: string } {
  return {
    method: request.method ?? 'GET',
    host: headerValue(request.headers.host) ?? '',
    path: pathAfterDecide,
  };
}
