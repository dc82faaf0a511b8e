import type { ParsedFields } from '../config/fields.js';
import { Secret } from '../secret.js';
import type { ProviderSpec } from './provider.js';
import { staticProvider } from './static-credential.js';

const SCHEMES = ['bearer', 'x_api_key', 'basic', 'custom'] as const;
type ApiKeyScheme = (typeof SCHEMES)[number];

/** RFC 7230 token characters: what a header name may contain. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * `api_key`: a raw key sent as `Authorization: Bearer KEY` (default), `X-API-Key: KEY`, HTTP Basic with the key as
 * username and an empty password (the Stripe convention), or a custom header with an optional prefix.
 */
export const apiKeySpec: ProviderSpec = {
  type: 'api_key',
  fields: {
    key: { kind: 'secret' },
    scheme: { kind: 'enum', values: SCHEMES },
    header: { kind: 'string' },
    prefix: { kind: 'string' },
  },
  validCombinations: [
    'key (+ scheme: bearer, the default) -> Authorization: Bearer KEY',
    'key + scheme: x_api_key -> X-API-Key: KEY',
    'key + scheme: basic -> Authorization: Basic base64(KEY:)',
    'key + scheme: custom + header (+ optional prefix) -> HEADER: [PREFIX ]KEY',
  ],
  checkCombination(fields: ParsedFields): string[] {
    const problems: string[] = [];
    const scheme = (fields['scheme'] as ApiKeyScheme | undefined) ?? 'bearer';
    if (fields['key'] === undefined) problems.push('missing key');
    if (scheme === 'custom') {
      if (fields['header'] === undefined) problems.push('missing header (scheme is custom)');
      else if (!HEADER_NAME.test(fields['header'] as string)) problems.push('header is not a valid HTTP header name');
    } else {
      if (fields['header'] !== undefined) problems.push(`extra header (only for scheme: custom; scheme is ${scheme})`);
      if (fields['prefix'] !== undefined) problems.push(`extra prefix (only for scheme: custom; scheme is ${scheme})`);
    }
    return problems;
  },
  create(name, fields, runtime) {
    const key = fields['key'] as Secret;
    const scheme = (fields['scheme'] as ApiKeyScheme | undefined) ?? 'bearer';
    const headers: Record<string, Secret> = {};
    switch (scheme) {
      case 'bearer':
        headers['authorization'] = new Secret(`Bearer ${key.reveal()}`);
        break;
      case 'x_api_key':
        headers['x-api-key'] = key;
        break;
      case 'basic':
        headers['authorization'] = new Secret(`Basic ${Buffer.from(`${key.reveal()}:`).toString('base64')}`);
        break;
      case 'custom': {
        const prefix = fields['prefix'] as string | undefined;
        headers[(fields['header'] as string).toLowerCase()] = new Secret(
          prefix ? `${prefix} ${key.reveal()}` : key.reveal(),
        );
        break;
      }
    }
    return staticProvider(name, 'api_key', runtime, key, headers, [key]);
  },
};
