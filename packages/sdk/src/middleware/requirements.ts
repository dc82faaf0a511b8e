import type { Principal } from '../principal.js';

/** What a protected route asks of an authenticated caller, as the server's requirements do. Empty: any valid token. */
export interface Requirements {
  /** Every one of these scopes must be granted. */
  scopes?: readonly string[];
  /** At least one of these roles must be held. */
  anyRole?: readonly string[];
  admin?: boolean;
  /** The principal must belong to this tenant. */
  tenant?: string;
}

export type RequirementFailure = {
  code: 'forbidden' | 'insufficient_scope';
  message: string;
  missingScopes?: string[];
};

/**
 * Checks every level (a middleware's and a route's): each must hold on its own, so a route adds to the
 * middleware's requirements and never replaces them. Checked on every request, never cached (SECURITY.md #31).
 */
export function unmetRequirement(principal: Principal, levels: readonly Requirements[]): RequirementFailure | null {
  if (levels.some((level) => level.admin) && !principal.admin) {
    return { code: 'forbidden', message: 'An administrator credential is required.' };
  }
  if (levels.some((level) => level.tenant !== undefined && level.tenant !== principal.tenant)) {
    return { code: 'forbidden', message: 'The credential belongs to another tenant.' };
  }
  if (levels.some((level) => level.anyRole?.length && !level.anyRole.some((role) => principal.roles.includes(role)))) {
    return { code: 'forbidden', message: 'The credential lacks a required role.' };
  }
  const missing = new Set<string>();
  for (const level of levels)
    for (const scope of level.scopes ?? []) if (!principal.scopes.includes(scope)) missing.add(scope);
  if (missing.size > 0) {
    return { code: 'insufficient_scope', message: 'The token lacks a required scope.', missingScopes: [...missing] };
  }
  return null;
}
