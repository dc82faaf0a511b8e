import type { CredentialKind } from '@warden/sdk';
import type { RequestAttributes } from '../authn/types.js';
import type { Requirements } from '../authz/requirements.js';
import type { RuleConfig } from './config.js';
import { TENANT_TEMPLATE } from './config.js';
import { globsCanOverlap, globToRegExp, HOST_GLOB, PATH_GLOB } from './glob.js';
import type { HeaderTemplates } from './header-templates.js';
import { normalizeHost, normalizePath } from './normalize-path.js';

/** What the matched rule asks of a request. */
export type MatchedRule =
  | { verdict: 'allow'; name: string; templates: HeaderTemplates | null }
  | { verdict: 'deny'; name: string }
  | {
      verdict: 'authenticate';
      name: string;
      /** The requirements, the tenant template filled in from this request. */
      requirements: Requirements;
      /** The credential kinds to try, in the chain's order; null: every authenticator. */
      authenticators: ReadonlySet<CredentialKind> | null;
      /** A request without credentials passes as the anonymous principal. */
      anonymous: boolean;
      /** The extra identity headers an allow sets; null: none. */
      templates: HeaderTemplates | null;
    }
  /** No rule matched, or the path or host cannot be normalized: denied. */
  | { verdict: 'no_rule'; name: null; reason: string };

interface CompiledRule {
  config: RuleConfig;
  priority: number;
  methods: ReadonlySet<string> | null;
  host: RegExp | null;
  path: RegExp | null;
  /** The result for a request this rule matches; a function only when the tenant comes from the request. */
  result:
    | MatchedRule
    | ((path: RegExpExecArray | null, host: RegExpExecArray | null, attributes: RequestAttributes) => MatchedRule);
}

/** A rule set that cannot be used: names the rules and why. Startup fails with it; a reload keeps the old set. */
export class RuleSetError extends Error {}

const NO_RULE: MatchedRule = Object.freeze({
  verdict: 'no_rule',
  name: null,
  reason: 'No access rule matches this request.',
});
const MALFORMED_PATH: MatchedRule = Object.freeze({
  verdict: 'no_rule',
  name: null,
  reason: 'The request path is malformed.',
});
const MALFORMED_HOST: MatchedRule = Object.freeze({
  verdict: 'no_rule',
  name: null,
  reason: 'The request host is malformed.',
});

/** The rule that applies when none is configured: any valid credential, from any authenticator. */
export const ANY_VALID_CREDENTIAL_RULE: MatchedRule = Object.freeze({
  verdict: 'authenticate',
  name: 'default',
  requirements: Object.freeze({}),
  authenticators: null,
  anonymous: false,
  templates: null,
});

function resultOf(config: RuleConfig): CompiledRule['result'] {
  const templates: HeaderTemplates | null =
    config.headers === undefined
      ? null
      : Object.freeze({
          headers: new Map(Object.entries(config.headers).map(([name, template]) => [name.toLowerCase(), template])),
        });
  if (config.allow) return Object.freeze({ verdict: 'allow', name: config.name, templates });
  if (config.deny) return Object.freeze({ verdict: 'deny', name: config.name });
  const { tenant, scopes, any_role: anyRole, admin } = config.require ?? {};
  const fixed: Requirements = Object.freeze({
    ...(scopes ? { scopes } : {}),
    ...(anyRole ? { anyRole } : {}),
    ...(admin ? { admin } : {}),
  });
  const kinds = config.authenticators?.filter((kind): kind is CredentialKind => kind !== 'anonymous');
  const base = {
    verdict: 'authenticate' as const,
    name: config.name,
    authenticators: kinds === undefined ? null : new Set(kinds),
    anonymous: config.authenticators?.includes('anonymous') ?? false,
    templates,
  };
  const template = tenant === undefined ? null : TENANT_TEMPLATE.exec(tenant);
  if (tenant === undefined || template === null) {
    return Object.freeze({ ...base, requirements: tenant === undefined ? fixed : Object.freeze({ ...fixed, tenant }) });
  }
  const [, source, name] = template as unknown as [string, 'path' | 'header' | 'host', string];
  const header = name.toLowerCase();
  return (path, host, attributes) => {
    const value =
      source === 'path' ? path?.groups?.[name] : source === 'host' ? host?.[Number(name)] : attributes.headers[header];
    // A tenant that cannot be read from the request is one no principal can meet: never a skipped check.
    const required = typeof value === 'string' && value !== '' ? value : '\u0000no tenant in the request';
    return { ...base, requirements: { ...fixed, tenant: required } };
  };
}

function compile(config: RuleConfig): CompiledRule {
  return {
    config,
    priority: config.priority ?? 0,
    methods: config.methods ? new Set(config.methods) : null,
    host: config.host === undefined ? null : globToRegExp(config.host.toLowerCase(), HOST_GLOB),
    path:
      config.path_regex !== undefined
        ? new RegExp(config.path_regex)
        : config.path === undefined
          ? null
          : globToRegExp(config.path, PATH_GLOB),
    result: resultOf(config),
  };
}

/** Whether two rules could both match one request (regexes are assumed to overlap anything on their methods and hosts). */
function canOverlap(a: RuleConfig, b: RuleConfig): boolean {
  if (a.methods && b.methods && !a.methods.some((method) => b.methods!.includes(method))) return false;
  if (a.host !== undefined && b.host !== undefined) {
    if (!globsCanOverlap(a.host.toLowerCase(), b.host.toLowerCase(), HOST_GLOB)) return false;
  }
  if (a.path_regex !== undefined || b.path_regex !== undefined) return true;
  return globsCanOverlap(a.path ?? '/**', b.path ?? '/**', PATH_GLOB);
}

/**
 * The access rules, compiled: highest priority first. Two rules that could match the same request at the same
 * priority, or two with one name, are refused (RuleSetError) so which rule applies never depends on their order
 * in the file. A request no rule matches gets the default rule when one is configured, else `no_rule` (denied).
 */
export class RuleSet {
  private readonly rules: readonly CompiledRule[];
  private readonly fallback: CompiledRule | null;

  constructor(rules: readonly RuleConfig[], defaultRule?: RuleConfig) {
    const problems: string[] = [];
    const names = new Set<string>();
    for (const rule of rules) {
      if (names.has(rule.name)) problems.push(`two rules are named ${rule.name}`);
      names.add(rule.name);
    }
    for (let i = 0; i < rules.length; i++) {
      for (let j = i + 1; j < rules.length; j++) {
        const [a, b] = [rules[i]!, rules[j]!];
        if ((a.priority ?? 0) === (b.priority ?? 0) && canOverlap(a, b)) {
          problems.push(`rules ${a.name} and ${b.name} can match the same request: give them different priorities`);
        }
      }
    }
    if (problems.length > 0) throw new RuleSetError(problems.join('; '));
    this.rules = rules.map(compile).sort((a, b) => b.priority - a.priority);
    this.fallback = defaultRule === undefined ? null : compile(defaultRule);
  }

  get size(): number {
    return this.rules.length;
  }

  match(attributes: RequestAttributes): MatchedRule {
    const path = normalizePath(attributes.path);
    if (path === null) return MALFORMED_PATH;
    let host: string | null = null;
    for (const rule of this.rules) {
      if (rule.methods !== null && !rule.methods.has(attributes.method.toUpperCase())) continue;
      let hostCaptures: RegExpExecArray | null = null;
      if (rule.host !== null) {
        host ??= normalizeHost(attributes.host) ?? '';
        if (host === '') return MALFORMED_HOST;
        hostCaptures = rule.host.exec(host);
        if (hostCaptures === null) continue;
      }
      let captured: RegExpExecArray | null = null;
      if (rule.path !== null) {
        captured = rule.path.exec(path);
        if (captured === null) continue;
      }
      return typeof rule.result === 'function' ? rule.result(captured, hostCaptures, attributes) : rule.result;
    }
    if (this.fallback === null) return NO_RULE;
    const { result } = this.fallback;
    return typeof result === 'function' ? result(null, null, attributes) : result;
  }
}
