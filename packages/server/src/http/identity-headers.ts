import type { Principal } from '@warden/sdk';

/** The identity headers of DESIGN.md, in the order a proxy copies them upstream. */
export const IDENTITY_HEADER_NAMES = [
  'x-auth-subject',
  'x-auth-subject-type',
  'x-auth-tenant',
  'x-auth-roles',
  'x-auth-scopes',
  'x-auth-admin',
  'x-auth-credential',
  'x-auth-key-id',
  'x-auth-issuer',
] as const;

// Header values must be visible ASCII; anything else is percent-encoded (UTF-8) so it cannot split headers. `%`
// itself is encoded so the encoding can be undone without ambiguity. The `u` flag keeps a surrogate pair (an emoji)
// together: encodeURIComponent throws on half a pair.
const UNSAFE_HEADER_CHARS = /[^\x20-\x7e]|%/gu;
// Inside a list, one element must never read as two (SECURITY.md #50). Names are validated at every entry, but
// records stored before that may hold a role `x,admin` or a scope `a b`: there the separator and any whitespace
// are encoded too, so a proxy splitting `X-Auth-Roles` on `,` sees one role `x%2Cadmin`, never `admin`.
const UNSAFE_ROLE_CHARS = /[^\x21-\x7e]|[%,]/gu;
const UNSAFE_SCOPE_CHARS = /[^\x21-\x7e]|%/gu;

function percentEncode(char: string): string {
  // An unpaired surrogate (only in records stored before names were validated) has no UTF-8 form: U+FFFD.
  return char.length === 1 && char >= '\ud800' && char <= '\udfff' ? '%EF%BF%BD' : encodeURIComponent(char);
}

export function headerSafe(value: string): string {
  return value.replace(UNSAFE_HEADER_CHARS, percentEncode);
}

/** Rendered once per cached principal (see decision-answer.ts), so a replace per element costs nothing per request. */
function headerList(values: readonly string[], separator: string, unsafe: RegExp): string {
  return values.map((value) => value.replace(unsafe, percentEncode)).join(separator);
}

/**
 * Every identity header is always set (empty when there is no value), so a proxy that copies them upstream
 * overwrites anything a client sent under the same name (SECURITY.md #48).
 */
export function identityHeaders(principal: Principal): Record<(typeof IDENTITY_HEADER_NAMES)[number], string> {
  return {
    'x-auth-subject': headerSafe(principal.subject),
    'x-auth-subject-type': principal.subjectType,
    'x-auth-tenant': headerSafe(principal.tenant ?? ''),
    'x-auth-roles': headerList(principal.roles, ',', UNSAFE_ROLE_CHARS),
    'x-auth-scopes': headerList(principal.scopes, ' ', UNSAFE_SCOPE_CHARS),
    'x-auth-admin': principal.admin ? 'true' : 'false',
    'x-auth-credential': principal.credential.kind,
    'x-auth-key-id': headerSafe(principal.credential.id ?? ''),
    // A JWT's subject is unique within its issuer only: downstream keys identities on issuer + subject.
    'x-auth-issuer': headerSafe(principal.credential.issuer ?? ''),
  };
}

/** True for `X-Auth-*` in any case and with `_` or `-` (nginx and some frameworks treat them alike). */
export function isIdentityHeaderName(name: string): boolean {
  return /^x[-_]auth[-_]/i.test(name);
}

/** Removes client-sent identity headers from an incoming request before application code sees it. */
export function stripIdentityHeaders(headers: Record<string, unknown>): void {
  for (const name of Object.keys(headers)) {
    if (isIdentityHeaderName(name)) delete headers[name];
  }
}
