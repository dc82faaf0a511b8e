import type { IncomingMessage } from 'node:http';
import type { RequestAttributes } from '../../authn/types.js';
import {
  headersWithRepeatedCredentials,
  headerValue,
  peerAddress,
  type TrustedProxies,
} from '../request-attributes.js';
import type { OriginalRequest, ProxyDialect } from './dialect.js';
import { forwardAuth } from './forward-auth.js';
import { nginx } from './nginx.js';
import { plainPath } from './plain-path.js';

/**
 * The dialects, in precedence order: a field the first one sends wins. A new proxy dialect is a file in this
 * folder and an entry here.
 */
const DIALECTS: readonly ProxyDialect[] = [nginx, forwardAuth];

/** What the trusted proxy's headers say about the original request, dialect by dialect. */
function whatTheProxySays(headers: RequestAttributes['headers']): OriginalRequest {
  const said: OriginalRequest = { method: undefined, host: undefined, path: undefined };
  for (const dialect of DIALECTS) dialect.fill(headers, said);
  return said;
}

/**
 * The attributes of the original request behind a decide request. From a trusted proxy, each dialect fills in
 * what its headers say; anything they leave out, and everything for an untrusted peer (SECURITY.md #45), comes
 * from the request itself (`plainPath`).
 */
export function decisionAttributes(
  request: IncomingMessage,
  pathAfterDecide: string,
  trusted: TrustedProxies,
): RequestAttributes {
  const headers = headersWithRepeatedCredentials(request);
  const peer = peerAddress(request);
  if (!trusted.trusts(peer)) {
    // The common case, built in one object (this runs for every decision).
    return {
      method: request.method ?? 'GET',
      host: (headerValue(request.headers.host) ?? '').toLowerCase(),
      path: pathAfterDecide,
      headers,
      peer,
    };
  }
  const own = plainPath(request, pathAfterDecide);
  const said = whatTheProxySays(headers);
  return {
    method: said.method ?? own.method,
    host: (said.host ?? own.host).toLowerCase(),
    path: said.path ?? own.path,
    headers,
    peer,
  };
}
