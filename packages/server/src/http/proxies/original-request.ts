import type { IncomingMessage } from 'node:http';
import type { ForwardedCertificate, RequestAttributes } from '../../authn/types.js';
import {
  clientCertificateOf,
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
 * The certificate header a trusted proxy sent, among those `mtls.proxy_headers` names: undefined when none,
 * and an unusable value (empty, which the authenticator refuses as malformed) when two disagree or one repeats,
 * since then one of them came from the client.
 */
function forwardedCertificate(
  headers: RequestAttributes['headers'],
  names: readonly ForwardedCertificate['header'][],
): ForwardedCertificate | undefined {
  let found: ForwardedCertificate | undefined;
  for (const header of names) {
    const value = headers[header];
    if (value === undefined) continue;
    if (found !== undefined || Array.isArray(value)) return { header, value: '' };
    found = { header, value };
  }
  return found;
}

/**
 * The attributes of the original request behind a decide request. From a trusted proxy, each dialect fills in
 * what its headers say; anything they leave out, and everything for an untrusted peer (SECURITY.md #45), comes
 * from the request itself (`plainPath`). Client-certificate headers count only from a trusted proxy too
 * (SECURITY.md #44); the certificate of Warden's own TLS connection counts from any peer, except from a trusted
 * proxy when `mtls.proxy_headers` is set (then the proxy's headers say who the client is).
 */
export function decisionAttributes(
  request: IncomingMessage,
  pathAfterDecide: string,
  trusted: TrustedProxies,
  certificateHeaders: readonly ForwardedCertificate['header'][] = [],
): RequestAttributes {
  const headers = headersWithRepeatedCredentials(request);
  const peer = peerAddress(request);
  if (!trusted.trusts(peer)) {
    // The common case, built in one object (this runs for every decision).
    const attributes: RequestAttributes = {
      method: request.method ?? 'GET',
      host: (headerValue(request.headers.host) ?? '').toLowerCase(),
      path: pathAfterDecide,
      headers,
      peer,
    };
    const certificate = clientCertificateOf(request.socket);
    if (certificate !== undefined) attributes.clientCertificate = certificate;
    return attributes;
  }
  const own = plainPath(request, pathAfterDecide);
  const said = whatTheProxySays(headers);
  const attributes: RequestAttributes = {
    method: said.method ?? own.method,
    host: (said.host ?? own.host).toLowerCase(),
    path: said.path ?? own.path,
    headers,
    peer,
  };
  if (certificateHeaders.length > 0) {
    // A proxy that forwards client certificates speaks for its clients: the certificate of its own TLS connection
    // to Warden (proxy_ssl_certificate) is the proxy's, and a client that sent none must not pass as the proxy.
    const forwarded = forwardedCertificate(headers, certificateHeaders);
    if (forwarded !== undefined) attributes.forwardedCertificate = forwarded;
  } else {
    const certificate = clientCertificateOf(request.socket);
    if (certificate !== undefined) attributes.clientCertificate = certificate;
  }
  return attributes;
}
