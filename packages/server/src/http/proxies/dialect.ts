import type { RequestAttributes } from '../../authn/types.js';

/** What the proxies say about the original request; fields none of them sent stay undefined. */
export interface OriginalRequest {
  method: string | undefined;
  host: string | undefined;
  path: string | undefined;
}

/**
 * How one reverse proxy describes the request it asks Warden about. A dialect only translates headers into the
 * original request's method, host and path, filling the fields of `original` that are still undefined (a dialect
 * listed earlier wins); it holds no logic of its own, and it is consulted only for peers in
 * `server.trusted_proxies` (SECURITY.md #45).
 */
export interface ProxyDialect {
  readonly name: string;
  fill(headers: RequestAttributes['headers'], original: OriginalRequest): void;
}
