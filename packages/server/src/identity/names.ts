import { z } from 'zod';

/**
 * The alphabets of names that reach identity headers (SECURITY.md #50). `X-Auth-Roles` is comma-separated and
 * `X-Auth-Scopes` space-separated, and proxies and applications split them without any unescaping; a name that
 * holds the separator would read downstream as two names, one of them chosen by whoever picked the name. So the
 * separators, whitespace and control characters are refused at every entry (admin API, CLI, programmatic API,
 * static keys in config). The messages say what is allowed and never echo the value.
 */

/**
 * A scope is an RFC 6749 section 3.3 scope-token: `1*( %x21 / %x23-5B / %x5D-7E )`, visible ASCII except `"`
 * and `\`. That grammar is what OAuth clients and resource servers already expect, and it excludes the space
 * that separates scopes.
 */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]{1,200}$/;
export const SCOPE_TOKEN_RULE =
  'must be 1-200 of visible ASCII except " and \\ (an RFC 6749 scope token: no space or control character)';

/**
 * Roles have no standard grammar, so the alphabet is a deliberately small one that covers the usual styles
 * (`admin`, `billing:write`, `org/team`, `ops@eu`, `role.reader+`) and leaves out the comma that separates roles,
 * whitespace, quotes and backslashes, which some consumers treat as quoting.
 */
const ROLE_NAME = /^[A-Za-z0-9._:/@+-]{1,128}$/;
export const ROLE_NAME_RULE = 'must be 1-128 of A-Z a-z 0-9 . _ - : / @ + (no comma, space or control character)';

/**
 * Labels (subject, tenant, key name, revocation reason) are single-valued, so any Unicode is fine, but not a
 * control character (C0, DEL, C1, and U+2028/U+2029, which some consumers treat as line breaks): those split log
 * lines and headers. Leading or trailing whitespace is refused because proxies and header parsers trim it, so
 * `acme ` and `acme` would be one tenant downstream and two in Warden.
 */
const LABEL = /^(?!\s)[^\u0000-\u001f\u007f-\u009f\u2028\u2029]{1,200}(?<!\s)$/;
export const LABEL_RULE = 'must be 1-200 characters with no control character and no leading or trailing whitespace';

/** An unpaired UTF-16 surrogate has no UTF-8 form: it cannot be stored, logged or percent-encoded faithfully. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
export const WELL_FORMED_RULE = 'must be well-formed Unicode (no unpaired surrogate)';

export function isScopeToken(value: string): boolean {
  return SCOPE_TOKEN.test(value);
}

export function isRoleName(value: string): boolean {
  return ROLE_NAME.test(value);
}

export function isLabel(value: string): boolean {
  return LABEL.test(value) && !LONE_SURROGATE.test(value);
}

/** What is wrong with a label (the rule it breaks), or null when it is fine. */
export function labelProblem(value: string): string | null {
  if (!LABEL.test(value)) return LABEL_RULE;
  if (LONE_SURROGATE.test(value)) return WELL_FORMED_RULE;
  return null;
}

// The patterns are regexes (not only refinements) so the OpenAPI document publishes them too.
export const scopeToken = z.string().regex(SCOPE_TOKEN, SCOPE_TOKEN_RULE);
export const roleName = z.string().regex(ROLE_NAME, ROLE_NAME_RULE);
export const label = z
  .string()
  .regex(LABEL, LABEL_RULE)
  .refine((value) => !LONE_SURROGATE.test(value), WELL_FORMED_RULE);
