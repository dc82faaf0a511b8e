import type { Logger } from 'pino';
import { z } from 'zod';
import type { RequestAttributes } from './authn/types.js';
import type { RequirementLevels, Requirements } from './authz/requirements.js';
import { CERTIFICATE_HEADERS, configSchema } from './config/schema.js';
import { WardenError } from './errors/warden-error.js';
import { label, roleName, scopeToken } from './identity/names.js';
import { parseInput } from './util/parse-input.js';

/**
 * Run-time checks of what callers hand the engine. TypeScript callers cannot pass anything else, but plain
 * JavaScript can, and some mistakes would not fail on their own: configuration beside `config` instead of in it
 * would be ignored and the engine would open `.warden/` in the working directory; a misspelt requirement
 * (`scope` for `scopes`) would be ignored, so a route meant for one scope would let any valid credential in; a
 * header named `X-API-Key` instead of `x-api-key` would be a credential never seen. These answer
 * `invalid_request` instead. The decision endpoint builds its own arguments and does not pay for this.
 */

const createWardenOptions = z.strictObject({
  // Its content is checked by the configuration schema, with messages of its own (`config_invalid`).
  config: z.unknown().optional(),
  logger: z
    .custom<Logger>(
      (value) =>
        typeof value === 'object' &&
        value !== null &&
        ['info', 'warn', 'error'].every((level) => typeof (value as Record<string, unknown>)[level] === 'function'),
      'must be a pino logger',
    )
    .optional(),
  migrate: z.boolean().optional(),
  background: z.boolean().optional(),
  now: z.custom<() => number>((value) => typeof value === 'function', 'must be a function').optional(),
  processMetrics: z.boolean().optional(),
});
const CONFIG_SECTIONS: ReadonlySet<string> = new Set(Object.keys(configSchema.shape));

export function checkCreateWardenOptions(options: unknown): void {
  if (typeof options === 'object' && options !== null) {
    const misplaced = Object.keys(options).filter((name) => CONFIG_SECTIONS.has(name));
    if (misplaced.length > 0) {
      throw new WardenError(
        'invalid_request',
        `options: ${misplaced.join(', ')} belong(s) in the configuration: createWarden({ config: { ${misplaced[0]}: ... } })`,
      );
    }
  }
  parseInput(createWardenOptions, options, 'options');
}

/** Requirements hold the same names as keys do: a requirement no key can ever meet is a mistake. */
const requirementsLevel = z.strictObject({
  scopes: z.array(scopeToken).optional(),
  anyRole: z.array(roleName).optional(),
  admin: z.boolean().optional(),
  tenant: label.optional(),
});

/**
 * Requirement objects already checked. Callers pass the same objects on every request (a plugin's options, a
 * route's config), so each is checked once, not per request.
 */
const checkedLevels = new WeakSet<object>();

export function checkRequirementsArgument(requirements: Requirements | RequirementLevels | undefined): void {
  if (requirements === undefined) return;
  if (!Array.isArray(requirements)) {
    checkLevel(requirements, 'requirements');
    return;
  }
  requirements.forEach((level, index) => {
    checkLevel(level, `requirements.${index}`);
  });
}

function checkLevel(level: unknown, argument: string): void {
  if (typeof level === 'object' && level !== null && (checkedLevels.has(level) || isEmptyObject(level))) return;
  parseInput(requirementsLevel, level, argument);
  checkedLevels.add(level as object);
}

/** `{}` is what integrations pass for a level that asks nothing, often a fresh one per request. */
function isEmptyObject(value: object): boolean {
  for (const _key in value) return false;
  return Object.getPrototypeOf(value) === Object.prototype;
}

const ATTRIBUTE_STRINGS = ['method', 'host', 'path', 'peer'] as const;
const ATTRIBUTE_FIELDS: ReadonlySet<string> = new Set([
  ...ATTRIBUTE_STRINGS,
  'headers',
  'clientCertificate',
  'forwardedCertificate',
]);
const CERTIFICATE_HEADER_NAMES: ReadonlySet<unknown> = new Set(CERTIFICATE_HEADERS);
const UPPER_CASE = /[A-Z]/;

/**
 * Checks {@link RequestAttributes}, which in-process middleware builds for every request: written out by hand
 * because a schema parse of a dozen headers costs over 2 µs a request, and this about a quarter of one.
 */
export function checkAttributesArgument(attributes: RequestAttributes): void {
  const problems = attributeProblems(attributes);
  if (problems.length > 0) throw new WardenError('invalid_request', problems.join('; '));
}

function attributeProblems(attributes: unknown): string[] {
  if (typeof attributes !== 'object' || attributes === null) return ['attributes: must be an object'];
  const fields = attributes as Record<string, unknown>;
  const problems: string[] = [];
  for (const name of ATTRIBUTE_STRINGS) {
    if (typeof fields[name] !== 'string') problems.push(`attributes.${name}: must be a string`);
  }
  if (fields['clientCertificate'] !== undefined && typeof fields['clientCertificate'] !== 'string') {
    problems.push('attributes.clientCertificate: must be a PEM string when present');
  }
  const forwarded = fields['forwardedCertificate'] as Record<string, unknown> | undefined;
  if (
    forwarded !== undefined &&
    (typeof forwarded !== 'object' ||
      forwarded === null ||
      !CERTIFICATE_HEADER_NAMES.has(forwarded['header']) ||
      typeof forwarded['value'] !== 'string')
  ) {
    problems.push(
      `attributes.forwardedCertificate: must be { header: ${CERTIFICATE_HEADERS.join(' | ')}, value: string }`,
    );
  }
  for (const name in fields) {
    if (!ATTRIBUTE_FIELDS.has(name)) problems.push(`attributes: unknown field ${name}`);
  }
  const headers = fields['headers'];
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) {
    problems.push('attributes.headers: must be an object of header names to values');
    return problems;
  }
  for (const name in headers) {
    // Authenticators look headers up by their lower-case names, as Node gives them.
    if (UPPER_CASE.test(name)) problems.push(`attributes.headers: header names must be lower-case (${name})`);
    if (!isHeaderValue((headers as Record<string, unknown>)[name])) {
      problems.push(`attributes.headers.${name}: must be a string or an array of strings`);
    }
  }
  return problems;
}

function isHeaderValue(value: unknown): boolean {
  if (value === undefined || typeof value === 'string') return true;
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}
