/**
 * Finds the one credential a request presents. Anything ambiguous or malformed is rejected here, before any
 * authenticator or storage sees it.
 */
export type PresentedCredential =
  | { kind: 'none' }
  | { kind: 'malformed'; reason: string }
  | { kind: 'api_key'; value: string; source: 'bearer' | 'x-api-key' };

/** Longest credential header value accepted (8 KiB): anything longer is malformed, not looked up. */
export const MAX_CREDENTIAL_LENGTH = 8192;

// RFC 6750 b64token / token68 characters, plus the characters of API keys.
const TOKEN_CHARS = /^[A-Za-z0-9\-._~+/]+=*$/;

function single(value: string | string[] | undefined): string | null | 'duplicate' {
  if (value === undefined) return null;
  if (Array.isArray(value)) return value.length === 1 ? value[0]! : 'duplicate';
  return value;
}

function checkToken(value: string): string | null {
  if (value.length === 0) return 'empty credential';
  if (value.length > MAX_CREDENTIAL_LENGTH) return 'credential longer than 8 KiB';
  if (!TOKEN_CHARS.test(value)) return 'credential contains characters outside the token alphabet';
  return null;
}

export function extractCredential(headers: Record<string, string | string[] | undefined>): PresentedCredential {
  const authorization = single(headers.authorization);
  const apiKeyHeader = single(headers['x-api-key']);
  if (authorization === 'duplicate' || apiKeyHeader === 'duplicate') {
    return { kind: 'malformed', reason: 'credential header sent more than once' };
  }
  if (authorization !== null && apiKeyHeader !== null) {
    return { kind: 'malformed', reason: 'both Authorization and X-API-Key were sent' };
  }
  if (apiKeyHeader !== null) {
    const value = apiKeyHeader.trim();
    const problem = checkToken(value);
    return problem ? { kind: 'malformed', reason: problem } : { kind: 'api_key', value, source: 'x-api-key' };
  }
  if (authorization !== null) {
    const trimmed = authorization.trim();
    if (trimmed.length === 0) return { kind: 'malformed', reason: 'empty Authorization header' };
    const space = trimmed.indexOf(' ');
    const scheme = (space === -1 ? trimmed : trimmed.slice(0, space)).toLowerCase();
    if (scheme !== 'bearer') return { kind: 'malformed', reason: 'unsupported authorization scheme' };
    const value = space === -1 ? '' : trimmed.slice(space + 1).trim();
    const problem = checkToken(value);
    return problem ? { kind: 'malformed', reason: problem } : { kind: 'api_key', value, source: 'bearer' };
  }
  return { kind: 'none' };
}
