import type { Principal } from '@warden/sdk';
import type { AuthResult } from '../authn/types.js';
import { denied } from '../authn/types.js';

/**
 * What one level (an access rule, a plugin, a route) asks of an authenticated principal. Empty means "any
 * valid credential".
 */
export interface Requirements {
  /** Every one of these scopes must be granted. */
  scopes?: readonly string[];
  /** At least one of these roles must be held. */
  anyRole?: readonly string[];
  admin?: boolean;
  /** The principal must belong to this tenant. */
  tenant?: string;
}

/**
 * Requirements from several levels, every one of which must hold: a route's requirements add to its plugin's
 * and to the matched rule's, never replace them. Scopes add up; each level's `anyRole` must be met on its own
 * (a union of the lists would let a route's role satisfy the plugin's); any level asking for admin or a tenant
 * is checked.
 */
export type RequirementLevels = readonly Requirements[];

/** Normalizes what callers pass (nothing, one level, or several) to a list of levels. */
const NO_LEVELS: RequirementLevels = Object.freeze([]);

export function requirementLevels(requirements: Requirements | RequirementLevels | undefined): RequirementLevels {
  if (requirements === undefined) return NO_LEVELS;
  return Array.isArray(requirements) ? requirements : [requirements as Requirements];
}

export function checkRequirements(principal: Principal, levels: RequirementLevels): AuthResult {
  if (levels.some((level) => level.admin) && !principal.admin) {
    return denied('forbidden', 'An administrator credential is required.');
  }
  if (levels.some((level) => level.tenant !== undefined && level.tenant !== principal.tenant)) {
    return denied('forbidden', 'The credential belongs to another tenant.');
  }
  const unmetRoles = levels.some(
    (level) =>
      level.anyRole !== undefined &&
      level.anyRole.length > 0 &&
      !level.anyRole.some((role) => principal.roles.includes(role)),
  );
  if (unmetRoles) return denied('forbidden', 'The credential lacks a required role.');
  const missing = new Set<string>();
  for (const level of levels) {
    for (const scope of level.scopes ?? []) if (!principal.scopes.includes(scope)) missing.add(scope);
  }
  if (missing.size > 0) return denied('insufficient_scope', `Missing scope: ${[...missing].join(' ')}.`);
  return { ok: true, principal };
}
