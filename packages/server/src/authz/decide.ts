import type { DecisionErrorCode, Principal } from '@warden/sdk';
import { DECISION_ERRORS } from '@warden/sdk';
import type { AuthenticatorChain } from '../authn/chain.js';
import type { AuthResult, RequestAttributes } from '../authn/types.js';
import { isPromise, type MaybePromise } from '../util/maybe-promise.js';
import { checkRequirements, type RequirementLevels, type Requirements, requirementLevels } from './requirements.js';

export type Decision =
  | { allow: true; status: 200; principal: Principal }
  | { allow: false; status: number; code: DecisionErrorCode; message: string };

/**
 * Which requirements apply to a request. Access rules (host/method/path globs) arrive in a later issue; until
 * then every request needs only a valid credential.
 */
export type RuleMatcher = (attributes: RequestAttributes) => Requirements;
const ANY_VALID_CREDENTIAL: Requirements = Object.freeze({});
export const allowAnyValidCredential: RuleMatcher = () => ANY_VALID_CREDENTIAL;

/**
 * Principals are frozen and shared through the caches, so the allow decision for one is made once: a cached
 * credential's decision allocates nothing.
 */
const allowDecisions = new WeakMap<Principal, Decision>();
function allowDecisionFor(principal: Principal): Decision {
  let decision = allowDecisions.get(principal);
  if (decision === undefined) {
    decision = Object.freeze({ allow: true, status: 200, principal }) as Decision;
    allowDecisions.set(principal, decision);
  }
  return decision;
}

export function denyDecision(code: DecisionErrorCode, message?: string): Decision {
  const entry = DECISION_ERRORS[code];
  return { allow: false, status: entry.status, code, message: message ?? entry.message };
}

/**
 * The one pipeline: match rule -> authenticate -> requirements -> decision. The rule's requirements and the
 * caller's (plugin, route) must all hold. Storage faults throw.
 */
export function decide(
  chain: AuthenticatorChain,
  attributes: RequestAttributes,
  matchRule: RuleMatcher = allowAnyValidCredential,
  extra: Requirements | RequirementLevels = [],
): MaybePromise<Decision> {
  const ruleLevel = matchRule(attributes);
  const extraLevels = requirementLevels(extra);
  const levels = extraLevels.length === 0 ? [ruleLevel] : [ruleLevel, ...extraLevels];
  const authenticated = chain.authenticate(attributes);
  return isPromise(authenticated)
    ? authenticated.then((settled) => conclude(settled, levels))
    : conclude(authenticated, levels);
}

/** The decision once the caller is known: the requirements of every level, checked on every request. */
function conclude(authenticated: AuthResult, levels: RequirementLevels): Decision {
  if (!authenticated.ok) return denyDecision(authenticated.code, authenticated.message);
  const authorized = checkRequirements(authenticated.principal, levels);
  if (!authorized.ok) return denyDecision(authorized.code, authorized.message);
  return allowDecisionFor(authenticated.principal);
}
