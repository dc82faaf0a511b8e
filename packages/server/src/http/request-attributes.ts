import type { IncomingMessage } from 'node:http';
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import type { RequestAttributes } from '../authn/types.js';

const CREDENTIAL_HEADERS = new Set(['authorization', 'x-api-key']);

/**
 * Node keeps only the first `Authorization` header and joins repeated `X-API-Key` headers, which would hide a
 * doubly-specified credential. The raw header list shows every occurrence; repeated ones become arrays.
 */
export function headersWithRepeatedCredentials(request: IncomingMessage): RequestAttributes['headers'] {
  const raw = request.rawHeaders;
  let repeated: Record<string, string[]> | null = null;
  const seen = new Map<string, string>();
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (!CREDENTIAL_HEADERS.has(name)) continue;
    const first = seen.get(name);
    if (first === undefined) {
      seen.set(name, raw[i + 1]!);
    } else {
      repeated ??= {};
      repeated[name] ??= [first];
      repeated[name].push(raw[i + 1]!);
    }
  }
  return repeated ? { ...request.headers, ...repeated } : request.headers;
}

export function peerAddress(request: IncomingMessage): string {
  const address = request.socket.remoteAddress ?? '';
  return address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
}

/** Peers whose forwarded headers (X-Forwarded-*, X-Original-*) are believed. */
export class TrustedProxies {
  /** Trusts no peer: forwarded headers are never believed. */
  static readonly NONE = new TrustedProxies([]);
  private readonly list = new BlockList();
  private readonly empty: boolean;
  /**
   * Answers by peer address. BlockList.check builds a SocketAddress and isIPv6 runs a long regex on every
   * call, ~5% of a decision's CPU; a proxy talks from a handful of addresses, and the list never changes
   * after construction, so remembering the answer is exact. Bounded: cleared when full.
   */
  private readonly answers = new Map<string, boolean>();
  private static readonly MAX_REMEMBERED = 1024;

  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      const [address, bits] = entry.split('/') as [string, string | undefined];
      const type = isIPv6(address) ? 'ipv6' : 'ipv4';
      if (!isIPv4(address) && !isIPv6(address))
        throw new Error(`server.trusted_proxies: ${entry} is not an IP or CIDR`);
      if (bits === undefined) this.list.addAddress(address, type);
      else this.list.addSubnet(address, Number(bits), type);
    }
    this.empty = entries.length === 0;
  }

  trusts(peer: string): boolean {
    if (this.empty || peer === '') return false;
    let answer = this.answers.get(peer);
    if (answer === undefined) {
      answer = this.list.check(peer, isIPv6(peer) ? 'ipv6' : 'ipv4');
      if (this.answers.size >= TrustedProxies.MAX_REMEMBERED) this.answers.clear();
      this.answers.set(peer, answer);
    }
    return answer;
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The path of a request target without its query string. */
export function pathOf(target: string): string {
  const query = target.indexOf('?');
  return query === -1 ? target : target.slice(0, query);
}

/**
 * The attributes of the original request for the decision endpoint. From a trusted proxy: nginx
 * (X-Original-Method/URI) or Traefik/Caddy (X-Forwarded-Method/Host/Uri). Otherwise, and from any untrusted
 * peer (SECURITY.md #45), the method and the path after /v1/decide of the request itself.
 */
export function decisionAttributes(
  request: IncomingMessage,
  ownPathAfterDecide: string,
  trusted: TrustedProxies,
): RequestAttributes {
  const headers = headersWithRepeatedCredentials(request);
  const peer = peerAddress(request);
  let method = request.method ?? 'GET';
  let host = headerValue(headers.host) ?? '';
  let path = ownPathAfterDecide;
  if (trusted.trusts(peer)) {
    const originalUri = headerValue(headers['x-original-uri']) ?? headerValue(headers['x-forwarded-uri']);
    const originalMethod = headerValue(headers['x-original-method']) ?? headerValue(headers['x-forwarded-method']);
    const forwardedHost = headerValue(headers['x-forwarded-host']);
    if (originalUri !== undefined) path = pathOf(originalUri);
    if (originalMethod !== undefined) method = originalMethod.toUpperCase();
    if (forwardedHost !== undefined) host = forwardedHost;
  }
  return { method, host: host.toLowerCase(), path, headers, peer };
}
