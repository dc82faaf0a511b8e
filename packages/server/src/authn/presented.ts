import type { ForwardedCertificate, RequestAttributes } from './types.js';

/**
 * A credential as the request presented it: where it came from and its raw value, before any authenticator
 * decides what kind it is. A Bearer value may be an API key or (later) a JWT; each authenticator says which
 * presented credentials it accepts.
 */
export type PresentedCredential =
  /** `Authorization: <scheme> <value>`; the scheme lower-cased. */
  | { source: 'authorization'; scheme: string; value: string }
  /** `X-API-Key: <value>`. */
  | { source: 'x-api-key'; value: string }
  /** The client certificate of the connection, or one a trusted proxy forwarded (PEM). */
  | { source: 'certificate'; pem: string }
  /** A certificate header a trusted proxy sent, undecoded (the mTLS authenticator decodes it). */
  | { source: 'forwarded-certificate'; certificate: ForwardedCertificate }
  /** A cookie an authenticator asked for by name (a session cookie). */
  | { source: 'cookie'; name: string; value: string };

/** What a request presented: nothing, something ambiguous or malformed, or the credentials to try. */
export type Presentation =
  | { kind: 'none' }
  | { kind: 'malformed'; reason: string }
  | { kind: 'presented'; credentials: readonly PresentedCredential[] };

/** Longest credential header value accepted (8 KiB): anything longer is malformed, not looked up. */
export const MAX_CREDENTIAL_LENGTH = 8192;

// RFC 6750 b64token / token68 characters, plus the characters of API keys.
const TOKEN_CHARS = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * A compact JWS (header.payload.signature, base64url, the header a JSON object so it starts with `eyJ`): what a
 * JWT authenticator accepts and an API key authenticator leaves alone. Shape only; nothing is decoded here.
 */
const JWT_SHAPE = /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;

export function looksLikeJwt(value: string): boolean {
  return value.startsWith('eyJ') && JWT_SHAPE.test(value);
}

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

/** The credential of the `Authorization` or `X-API-Key` header; both at once, or one twice, is ambiguous. */
function headerCredential(headers: RequestAttributes['headers']): PresentedCredential | { malformed: string } | null {
  const authorization = single(headers.authorization);
  const apiKeyHeader = single(headers['x-api-key']);
  if (authorization === 'duplicate' || apiKeyHeader === 'duplicate') {
    return { malformed: 'credential header sent more than once' };
  }
  if (authorization !== null && apiKeyHeader !== null) {
    return { malformed: 'both Authorization and X-API-Key were sent' };
  }
  if (apiKeyHeader !== null) {
    const value = apiKeyHeader.trim();
    const problem = checkToken(value);
    return problem ? { malformed: problem } : { source: 'x-api-key', value };
  }
  if (authorization !== null) {
    const trimmed = authorization.trim();
    if (trimmed.length === 0) return { malformed: 'empty Authorization header' };
    const space = trimmed.indexOf(' ');
    const scheme = (space === -1 ? trimmed : trimmed.slice(0, space)).toLowerCase();
    const value = space === -1 ? '' : trimmed.slice(space + 1).trim();
    const problem = checkToken(value);
    return problem ? { malformed: problem } : { source: 'authorization', scheme, value };
  }
  return null;
}

/** The value of cookie `name` in a `Cookie` header, or undefined. */
function cookieValue(header: string | string[] | undefined, name: string): string | undefined {
  const text = Array.isArray(header) ? header.join('; ') : header;
  if (!text) return undefined;
  for (const pair of text.split(';')) {
    const equals = pair.indexOf('=');
    if (equals !== -1 && pair.slice(0, equals).trim() === name) return pair.slice(equals + 1).trim();
  }
  return undefined;
}

/**
 * Everything a request presents, in the order authenticators see it: the credential header, the client
 * certificate, then the cookies named in `cookieNames` (only those, so no cookie is parsed when no
 * authenticator reads one). Anything ambiguous or malformed is refused here, before any authenticator or storage
 * sees it.
 */
export function presentedCredentials(attributes: RequestAttributes, cookieNames: readonly string[] = []): Presentation {
  const credentials: PresentedCredential[] = [];
  const fromHeader = headerCredential(attributes.headers);
  if (fromHeader !== null) {
    if ('malformed' in fromHeader) return { kind: 'malformed', reason: fromHeader.malformed };
    credentials.push(fromHeader);
  }
  // A trusted proxy's header describes the client behind it; the TLS certificate of that connection is the proxy's.
  if (attributes.forwardedCertificate) {
    credentials.push({ source: 'forwarded-certificate', certificate: attributes.forwardedCertificate });
  } else if (attributes.clientCertificate) {
    credentials.push({ source: 'certificate', pem: attributes.clientCertificate });
  }
  for (const name of cookieNames) {
    const value = cookieValue(attributes.headers.cookie, name);
    if (value !== undefined) credentials.push({ source: 'cookie', name, value });
  }
  return credentials.length === 0 ? { kind: 'none' } : { kind: 'presented', credentials };
}
