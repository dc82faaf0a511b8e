import { headerValue, pathOf } from '../request-attributes.js';
import type { ProxyDialect } from './dialect.js';

/**
 * Traefik `forwardAuth` and Caddy `forward_auth`: the original request arrives as `X-Forwarded-Method`,
 * `X-Forwarded-Host` and `X-Forwarded-Uri` (and `X-Forwarded-Proto`, which no decision reads yet).
 */
export const forwardAuth: ProxyDialect = {
  name: 'forward-auth',
  fill(headers, original) {
    const uri = headerValue(headers['x-forwarded-uri']);
    const method = headerValue(headers['x-forwarded-method']);
    const host = headerValue(headers['x-forwarded-host']);
    if (uri !== undefined) original.path ??= pathOf(uri);
    if (method !== undefined) original.method ??= method.toUpperCase();
    if (host !== undefined) original.host ??= host;
  },
};
