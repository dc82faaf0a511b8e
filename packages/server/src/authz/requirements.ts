import type { Principal } from '@warden/sdk';
import type { AuthResult } from '../authn/types.js';
import { denied } from '../authn/types.js';

/** What a route or rule asks of an authenticated principal. Empty means "any valid credential". */
export interface Requirements {
  /** Every one of these scopes must be granted. */
  scopes?: readonly string[];
  /** At least one of these roles must be held. */
  anyRole?: readonly string[];
  admin?: boolean;
  /** The principal must belong to this tenant. */
  tenant?: string;
}

export function checkRequirements(principal: Principal, requirements: Requirements): AuthResult {
  if (requirements.admin && !principal.admin) return denied('forbidden', 'An administrator credential is required.');
  if (requirements.tenant !== undefined && principal.tenant !== requirements.tenant) {
    return denied('forbidden', 'The credential belongs to another tenant.');
  }
  if (requirements.anyRole && requirements.anyRole.length > 0) {
    if (!requirements.anyRole.some((role) => principal.roles.includes(role))) {
      return denied('forbidden', 'The credential lacks a required role.');
    }
  }
  if (requirements.scopes) {
    const missing = requirements.scopes.filter((scope) => !principal.scopes.includes(scope));
    if (missing.length > 0) return denied('insufficient_scope', `Missing scope: ${missing.join(' ')}.`);
  }
  return { ok: true, principal };
}
