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
] as const;

// Header values must be visible ASCII; anything else is percent-encoded (UTF-8) so it cannot split headers.
const UNSAFE_HEADER_CHARS = /[^\x20-\x7e]|%/g;
function headerSafe(value: string): string {
  return value.replace(UNSAFE_HEADER_CHARS, (char) => encodeURIComponent(char));
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
    'x-auth-roles': headerSafe(principal.roles.join(',')),
    'x-auth-scopes': headerSafe(principal.scopes.join(' ')),
    'x-auth-admin': principal.admin ? 'true' : 'false',
    'x-auth-credential': principal.credential.kind,
    'x-auth-key-id': headerSafe(principal.credential.id ?? ''),
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
