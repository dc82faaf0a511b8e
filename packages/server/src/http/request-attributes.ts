import type { IncomingMessage } from 'node:http';
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { RequestAttributes } from '../authn/types.js';

const CREDENTIAL_HEADERS = new Set(['authorization', 'x-api-key']);
const CREDENTIAL_HEADER_LENGTHS = new Set([...CREDENTIAL_HEADERS].map((name) => name.length));

/**
 * Node keeps only the first `Authorization` header and joins repeated `X-API-Key` headers, which would hide a
 * doubly-specified credential. The raw header list shows every occurrence; repeated ones become arrays.
 */
export function headersWithRepeatedCredentials(request: IncomingMessage): RequestAttributes['headers'] {
  const raw = request.rawHeaders;
  let repeated: Record<string, string[]> | null = null;
  // The first value of each credential header (two names: plain locals, no per-request Map).
  let firstAuthorization: string | undefined;
  let firstApiKey: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    // Only two names matter; comparing lengths first spares a lower-cased copy of every other header name.
    if (!CREDENTIAL_HEADER_LENGTHS.has(raw[i]!.length)) continue;
    const name = raw[i]!.toLowerCase();
    if (!CREDENTIAL_HEADERS.has(name)) continue;
    const value = raw[i + 1]!;
    const first = name === 'authorization' ? firstAuthorization : firstApiKey;
    if (first === undefined) {
      if (name === 'authorization') firstAuthorization = value;
      else firstApiKey = value;
    } else {
      repeated ??= {};
      repeated[name] ??= [first];
      repeated[name].push(value);
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

export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The path of a request target without its query string. */
export function pathOf(target: string): string {
  const query = target.indexOf('?');
  return query === -1 ? target : target.slice(0, query);
}

/**
 * The attributes of a request a service receives itself (in-process middleware, the admin API): its own
 * method, host and path, never a forwarded one, and the client certificate of a TLS connection. One
 * translation for Fastify, Express and plain node:http.
 */
export function nodeRequestAttributes(request: IncomingMessage, url = request.url ?? '/'): RequestAttributes {
  const attributes: RequestAttributes = {
    method: request.method ?? 'GET',
    host: (headerValue(request.headers.host) ?? '').toLowerCase(),
    path: pathOf(url),
    headers: headersWithRepeatedCredentials(request),
    peer: peerAddress(request),
  };
  const certificate = clientCertificateOf(request.socket);
  if (certificate) attributes.clientCertificate = certificate;
  return attributes;
}

/** The PEM of each TLS connection's client certificate, made once per connection (keep-alive sends many requests). */
const certificateOfSocket = new WeakMap<TLSSocket, string | null>();

/**
 * The client certificate of a TLS connection as PEM, or undefined (plain HTTP, none sent). Whether it is any good
 * is not decided here: the mTLS authenticator checks its dates, its CA and its pinned public key. The DER is only
 * base64-wrapped, never parsed, on the request path.
 */
export function clientCertificateOf(socket: IncomingMessage['socket']): string | undefined {
  if (!(socket instanceof TLSSocket)) return undefined;
  let pem = certificateOfSocket.get(socket);
  if (pem === undefined) {
    const raw = socket.getPeerCertificate()?.raw;
    pem = raw && raw.length > 0 ? derToPem(raw) : null;
    certificateOfSocket.set(socket, pem);
  }
  return pem ?? undefined;
}

function derToPem(der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}
