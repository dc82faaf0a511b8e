import type { DecisionErrorCode, Principal } from '@warden/sdk';
import { DECISION_ERRORS } from '@warden/sdk';
import type { AuthenticatorChain } from '../authn/chain.js';
import type { AuthResult, RequestAttributes } from '../authn/types.js';
import type { HeaderTemplates } from '../rules/header-templates.js';
import { ANY_VALID_CREDENTIAL_RULE, type MatchedRule } from '../rules/rule-set.js';
import { isPromise, type MaybePromise } from '../util/maybe-promise.js';
import { ANONYMOUS_PRINCIPAL } from './anonymous.js';
import { checkRequirements, type RequirementLevels, type Requirements, requirementLevels } from './requirements.js';

export type Decision =
  | {
      allow: true;
      status: 200;
      principal: Principal;
      /** The matched rule's extra identity headers (templates over the principal), when it has any. */
      headerTemplates?: HeaderTemplates;
    }
  | {
      allow: false;
      status: number;
      code: DecisionErrorCode;
      message: string;
      /** A browser's redirect to the login page (status 302). */
      location?: string;
    };

/** Which access rule applies to a request (rules/rule-set.ts); without rules, any valid credential. */
export type RuleMatcher = (attributes: RequestAttributes) => MatchedRule;
export const allowAnyValidCredential: RuleMatcher = () => ANY_VALID_CREDENTIAL_RULE;

/**
 * Principals are frozen and shared through the caches, so the allow decision for one is made once: a cached
 * credential's decision allocates nothing.
 */
const allowDecisions = new WeakMap<Principal, Decision>();
/** The same, per rule with header templates (a rule's templates object lives as long as its rule set). */
const allowDecisionsByTemplates = new WeakMap<HeaderTemplates, WeakMap<Principal, Decision>>();
function allowDecisionFor(principal: Principal, templates: HeaderTemplates | null): Decision {
  let decisions = allowDecisions;
  if (templates !== null) {
    let forRule = allowDecisionsByTemplates.get(templates);
    if (forRule === undefined) {
      forRule = new WeakMap();
      allowDecisionsByTemplates.set(templates, forRule);
    }
    decisions = forRule;
  }
  let decision = decisions.get(principal);
  if (decision === undefined) {
    decision = Object.freeze(
      templates === null
        ? { allow: true, status: 200, principal }
        : { allow: true, status: 200, principal, headerTemplates: templates },
    ) as Decision;
    decisions.set(principal, decision);
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
/**
 * Browsers vs machines: a request without any credential whose `Accept` has `text/html` (a page load) is sent to
 * the login page, when one is configured and the rule accepts sessions; everything else gets the 401 JSON answer.
 */
export function loginRedirect(
  decision: Decision,
  attributes: RequestAttributes,
  rule: MatchedRule,
  loginUrl: string | undefined,
): Decision {
  if (loginUrl === undefined || decision.allow || decision.code !== 'missing_credentials') return decision;
  if (rule.verdict !== 'authenticate' || (rule.authenticators !== null && !rule.authenticators.has('session'))) {
    return decision;
  }
  const accept = attributes.headers.accept;
  if (!(typeof accept === 'string' ? accept : (accept ?? []).join(',')).includes('text/html')) return decision;
  // The path only: the login page sends the browser back to the same host, never to one named in the request.
  const back = attributes.path.startsWith('/') && !attributes.path.startsWith('//') ? attributes.path : '/';
  const location = `${loginUrl}${loginUrl.includes('?') ? '&' : '?'}rd=${encodeURIComponent(back)}`;
  return { allow: false, status: 302, code: 'missing_credentials', message: 'Sign in first.', location };
}

export function decide(
  chain: AuthenticatorChain,
  attributes: RequestAttributes,
  matchRule: RuleMatcher = allowAnyValidCredential,
  extra: Requirements | RequirementLevels = [],
  loginUrl?: string,
): MaybePromise<Decision> {
  const rule = matchRule(attributes);
  if (rule.verdict === 'no_rule') return denyDecision('forbidden', rule.reason);
  if (rule.verdict === 'deny') return denyDecision('forbidden', `Denied by the access rule ${rule.name}.`);
  const extraLevels = requirementLevels(extra);
  if (rule.verdict === 'allow') {
    // A public route: the caller's own requirements (a plugin's, a route's) still hold for the anonymous principal.
    return conclude({ ok: true, principal: ANONYMOUS_PRINCIPAL }, extraLevels, rule.templates);
  }
  const levels = extraLevels.length === 0 ? [rule.requirements] : [rule.requirements, ...extraLevels];
  const authenticated = chain.authenticate(attributes, rule);
  if (isPromise(authenticated)) return authenticated.then((settled) => conclude(settled, levels, rule.templates));
  const decision = conclude(authenticated, levels, rule.templates);
  // Only a request without credentials can be a redirect, and such a request never needs I/O.
  return decision.allow ? decision : loginRedirect(decision, attributes, rule, loginUrl);
}

/** The decision once the caller is known: the requirements of every level, checked on every request. */
function conclude(authenticated: AuthResult, levels: RequirementLevels, templates: HeaderTemplates | null): Decision {
  if (!authenticated.ok) return denyDecision(authenticated.code, authenticated.message);
  const authorized = checkRequirements(authenticated.principal, levels);
  if (!authorized.ok) return denyDecision(authorized.code, authorized.message);
  return allowDecisionFor(authenticated.principal, templates);
}
