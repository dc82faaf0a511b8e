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

/**
 * What the trusted proxy's headers say about the original request, dialect by dialect. A proxy sets its own
 * dialect's headers but passes the client's others on (Caddy forwards a client's `X-Original-URI`, nginx a
 * client's `X-Forwarded-Uri`): two dialects that disagree on the path or method mean one of them was written by
 * the client, so the path is made unusable (empty: malformed), and a rule-based decision denies it.
 */
function whatTheProxySays(headers: RequestAttributes['headers']): OriginalRequest {
  const said: OriginalRequest = { method: undefined, host: undefined, path: undefined };
  for (const dialect of DIALECTS) {
    const own: OriginalRequest = { method: undefined, host: undefined, path: undefined };
    dialect.fill(headers, own);
    const disagrees =
      (own.path !== undefined && said.path !== undefined && own.path !== said.path) ||
      (own.method !== undefined && said.method !== undefined && own.method !== said.method);
    if (disagrees) return { ...said, path: CONFLICTING_PATH };
    said.method ??= own.method;
    said.host ??= own.host;
    said.path ??= own.path;
  }
  return said;
}

/** The path of a request whose forwarded headers contradict each other: no rule matches it (malformed). */
const CONFLICTING_PATH = '';

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
