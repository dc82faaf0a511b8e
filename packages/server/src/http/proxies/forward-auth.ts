import { headerValue, pathOf } from '../request-attributes.js';
import type { OriginalRequest, ProxyDialect } from './dialect.js';

/**
 * Traefik `forwardAuth` and Caddy `forward_auth`: the original request arrives as `X-Forwarded-Method`,
 * `X-Forwarded-Host` and `X-Forwarded-Uri` (and `X-Forwarded-Proto`, which no decision reads yet).
 */
export const forwardAuth: ProxyDialect = {
  name: 'forward-auth',
  read(headers): OriginalRequest {
    const uri = headerValue(headers['x-forwarded-uri']);
    const method = headerValue(headers['x-forwarded-method']);
    const host = headerValue(headers['x-forwarded-host']);
    return {
      ...(uri !== undefined ? { path: pathOf(uri) } : {}),
      ...(method !== undefined ? { method: method.toUpperCase() } : {}),
      ...(host !== undefined ? { host } : {}),
    };
  },
};
