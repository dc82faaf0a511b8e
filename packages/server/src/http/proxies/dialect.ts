import type { RequestAttributes } from '../../authn/types.js';

/** What a proxy says about the original request it asks about; fields it does not send stay undefined. */
export type OriginalRequest = Partial<Pick<RequestAttributes, 'method' | 'host' | 'path'>>;

/**
 * How one reverse proxy describes the request it asks Warden about. A dialect only translates headers into the
 * original request's method, host and path; it holds no logic of its own, and it is consulted only for peers in
 * `server.trusted_proxies` (SECURITY.md #45).
 */
export interface ProxyDialect {
  readonly name: string;
  read(headers: RequestAttributes['headers']): OriginalRequest;
}
