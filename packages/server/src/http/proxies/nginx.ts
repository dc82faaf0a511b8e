import { headerValue, pathOf } from '../request-attributes.js';
import type { ProxyDialect } from './dialect.js';

/**
 * nginx `auth_request`: the subrequest carries what the location sets with `proxy_set_header X-Original-URI
 * $request_uri` and `X-Original-Method $request_method` (README, "Behind nginx"). The host is the `Host` of
 * the subrequest itself.
 */
export const nginx: ProxyDialect = {
  name: 'nginx',
  fill(headers, original) {
    const uri = headerValue(headers['x-original-uri']);
    const method = headerValue(headers['x-original-method']);
    if (uri !== undefined) original.path ??= pathOf(uri);
    if (method !== undefined) original.method ??= method.toUpperCase();
  },
};
