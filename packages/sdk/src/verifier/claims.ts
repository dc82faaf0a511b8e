import type { JWTPayload } from 'jose';
import { type Principal, SUBJECT_TYPES, type SubjectType } from '../principal.js';

/** A claim by its dot-separated path: `sub`, `tenant_id`, `realm_access.roles`, `resource_access.orders.roles`. */
export type ClaimPath = string;

/**
 * How an issuer's claims make a {@link Principal}. Issuers put roles and tenants in different places (Keycloak:
 * `realm_access.roles` and `resource_access.<client>.roles`; Auth0 and Entra: a namespaced or `roles` claim), so
 * each is a path.
 */
export interface ClaimMapping {
  /** The subject: default `sub`. */
  subject?: ClaimPath;
  /** The tenant (a string); absent: every principal has tenant null. */
  tenant?: ClaimPath;
  /** Where roles are: each path holds a list of strings (or one string, one role). Default: no roles. */
  roles?: ClaimPath | readonly ClaimPath[];
  /** Where scopes are: a space-separated string (`scope`) or a list (`scp`). Default `['scope', 'scp']`. */
  scopes?: ClaimPath | readonly ClaimPath[];
  /** What makes the principal an administrator: holding `role`, or `claim` being `true`. Default: never. */
  admin?: { role?: string; claim?: ClaimPath };
  /**
   * The subject type: a fixed type, or a claim holding one. Default: `service` when the token's `client_id`
   * equals its `sub` (a client credentials token), `user` otherwise.
   */
  subjectType?: SubjectType | { claim: ClaimPath };
}

// The alphabets of names that reach Warden's identity headers (SECURITY.md #50), as the server applies them to
// every other entry: a role or scope from an issuer must not carry `,` or a space that a proxy would split on.
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]{1,200}$/;
const ROLE_NAME = /^[A-Za-z0-9._:/@+-]{1,128}$/;
const LABEL = /^(?!\s)[^\u0000-\u001f\u007f-\u009f\u2028\u2029]{1,200}(?<!\s)$/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const isLabel = (value: string) => LABEL.test(value) && !LONE_SURROGATE.test(value);

/** Why a mapped claim is refused; the verifier answers `invalid_credentials` with it. */
export class ClaimProblem extends Error {}

const paths = (value: ClaimPath | readonly ClaimPath[] | undefined, fallback: readonly ClaimPath[]) =>
  value === undefined ? fallback : typeof value === 'string' ? [value] : value;

export function claimAt(payload: JWTPayload, path: ClaimPath): unknown {
  let value: unknown = payload;
  for (const segment of path.split('.')) {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, segment)) {
      return undefined;
    }
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

function label(payload: JWTPayload, path: ClaimPath, what: string): string | undefined {
  const value = claimAt(payload, path);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || !isLabel(value)) throw new ClaimProblem(`the ${what} claim (${path}) is not valid`);
  return value;
}

function names(payload: JWTPayload, from: readonly ClaimPath[], what: string, split: boolean): string[] {
  const found = new Set<string>();
  for (const path of from) {
    const value = claimAt(payload, path);
    if (value === undefined || value === null) continue;
    const items = typeof value === 'string' ? (split ? value.split(' ').filter(Boolean) : [value]) : value;
    if (!Array.isArray(items) || !items.every((item) => typeof item === 'string')) {
      throw new ClaimProblem(`the ${what} claim (${path}) is not a list of strings`);
    }
    for (const item of items) found.add(item);
  }
  const valid = what === 'scope' ? SCOPE_TOKEN : ROLE_NAME;
  // A name that breaks the alphabet refuses the token: dropping it silently would be guessing what was meant.
  if (![...found].every((item) => valid.test(item))) throw new ClaimProblem(`a ${what} in the token is not valid`);
  return [...found];
}

/**
 * The principal of a verified token: claims of the wrong type, and names outside the alphabets of the identity
 * headers, refuse the token (a {@link ClaimProblem}) rather than quietly drop a restriction. `iss`, `exp` and
 * `sub` were required by the verification already.
 */
export function principalFromClaims(payload: JWTPayload, mapping: ClaimMapping = {}): Principal {
  const subjectPath = mapping.subject ?? 'sub';
  const subject = label(payload, subjectPath, 'subject');
  if (subject === undefined) throw new ClaimProblem(`the token has no subject (${subjectPath})`);
  const tenant = mapping.tenant === undefined ? null : (label(payload, mapping.tenant, 'tenant') ?? null);
  const roles = names(payload, paths(mapping.roles, []), 'role', false);
  const scopes = names(payload, paths(mapping.scopes, ['scope', 'scp']), 'scope', true);
  let admin = mapping.admin?.role !== undefined && roles.includes(mapping.admin.role);
  if (mapping.admin?.claim !== undefined) {
    const flag = claimAt(payload, mapping.admin.claim);
    if (flag !== undefined && typeof flag !== 'boolean') {
      throw new ClaimProblem(`the admin claim (${mapping.admin.claim}) is not a boolean`);
    }
    admin ||= flag === true;
  }
  const credential: Principal['credential'] = { kind: 'jwt', issuer: payload.iss! };
  if (typeof payload.jti === 'string') credential.id = payload.jti;
  if (typeof payload.exp === 'number') credential.expiresAt = new Date(payload.exp * 1000).toISOString();
  return Object.freeze({
    subject,
    subjectType: subjectTypeOf(payload, mapping.subjectType),
    tenant,
    admin,
    roles,
    scopes,
    metadata: {},
    credential,
  });
}

function subjectTypeOf(payload: JWTPayload, rule: ClaimMapping['subjectType']): SubjectType {
  if (typeof rule === 'string') return rule;
  if (rule !== undefined) {
    const value = claimAt(payload, rule.claim);
    if (typeof value !== 'string' || !(SUBJECT_TYPES as readonly string[]).includes(value)) {
      throw new ClaimProblem(`the subject type claim (${rule.claim}) is not one of ${SUBJECT_TYPES.join(', ')}`);
    }
    return value as SubjectType;
  }
  const clientId = (payload as Record<string, unknown>)['client_id'];
  return typeof clientId === 'string' && clientId === payload.sub ? 'service' : 'user';
}
