import type { Principal } from '@warden/sdk';
import { headerSafe } from '../http/identity-headers.js';

/**
 * The extra identity headers a rule sets on an allow, as templates over the principal: `{subject}`,
 * `{subject_type}`, `{tenant}`, `{roles}` (comma-separated), `{scopes}` (space-separated), `{admin}`,
 * `{credential.kind}`, `{credential.id}`, `{credential.issuer}`, `{metadata.NAME}` (a string, number or boolean
 * metadata value), and literal text around them (`Bearer-less {subject}@{tenant}`). A placeholder without a value
 * renders empty. Values are made header-safe as the `X-Auth-*` headers are.
 */
export interface HeaderTemplates {
  /** Header name (lower-case) to its template. */
  readonly headers: ReadonlyMap<string, string>;
}

const PLACEHOLDER = /\{([a-z_]+(?:\.[A-Za-z0-9_-]+)?)\}/g;
const FIELDS = new Set([
  'subject',
  'subject_type',
  'tenant',
  'roles',
  'scopes',
  'admin',
  'credential.kind',
  'credential.id',
  'credential.issuer',
]);

/** Why a template cannot be used, or null: an unknown placeholder. */
export function templateProblem(template: string): string | null {
  for (const [, name] of template.matchAll(PLACEHOLDER)) {
    if (!FIELDS.has(name!) && !name!.startsWith('metadata.')) return `unknown placeholder {${name}}`;
  }
  return null;
}

function placeholderValue(principal: Principal, name: string): string {
  switch (name) {
    case 'subject':
      return principal.subject;
    case 'subject_type':
      return principal.subjectType;
    case 'tenant':
      return principal.tenant ?? '';
    case 'roles':
      return principal.roles.join(',');
    case 'scopes':
      return principal.scopes.join(' ');
    case 'admin':
      return principal.admin ? 'true' : 'false';
    case 'credential.kind':
      return principal.credential.kind;
    case 'credential.id':
      return principal.credential.id ?? '';
    case 'credential.issuer':
      return principal.credential.issuer ?? '';
    default: {
      const value = principal.metadata[name.slice('metadata.'.length)];
      return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : '';
    }
  }
}

/** The headers of `templates` for this principal. */
export function renderHeaderTemplates(templates: HeaderTemplates, principal: Principal): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, template] of templates.headers) {
    headers[name] = headerSafe(
      template.replace(PLACEHOLDER, (_match, field: string) => placeholderValue(principal, field)),
    );
  }
  return headers;
}
