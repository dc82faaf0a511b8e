import { CredentialConfigError, type CredentialConfigIssue } from '../errors.js';
import { CREDENTIAL_TYPES, type CredentialType } from '../providers/provider.js';
import { PROVIDER_SPECS } from '../providers/registry.js';
import { closestName, type FieldValue, type ParsedFields, parseField } from './fields.js';
import type { InterpolationProblem } from './interpolate.js';

/** One credential after validation: its type and parsed fields (secrets already wrapped). */
export interface ValidatedCredential {
  name: string;
  type: CredentialType;
  fields: ParsedFields;
}

/** Credential names become header-free identifiers in logs, CLI arguments and events. */
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** Fields any credential may carry that no provider reads. */
const UNIVERSAL_FIELDS = new Set(['type', 'description']);

/**
 * Validate a whole `credentials` map. Every credential with problems produces one issue; all issues are
 * thrown together in one {@link CredentialConfigError} so a user fixes the file in one pass.
 */
export function validateCredentials(
  credentials: unknown,
  interpolationProblems: InterpolationProblem[] = [],
  source?: string,
): ValidatedCredential[] {
  if (credentials === null || typeof credentials !== 'object' || Array.isArray(credentials)) {
    throw new CredentialConfigError(
      [
        {
          credential: '(root)',
          type: undefined,
          problems: ['`credentials` must be a map of name -> credential'],
          validCombinations: [],
        },
      ],
      source,
    );
  }
  const issues: CredentialConfigIssue[] = [];
  const validated: ValidatedCredential[] = [];
  for (const [name, raw] of Object.entries(credentials as Record<string, unknown>)) {
    const missingEnv = interpolationProblems
      .filter((problem) => problem.path === name || problem.path.startsWith(`${name}.`))
      .map(
        (problem) =>
          `environment variable ${problem.variable} is not set (for ${problem.path.slice(name.length + 1) || name})`,
      );
    const result = validateOne(name, raw);
    const problems = [...missingEnv, ...result.problems];
    if (problems.length > 0) {
      const spec = result.type ? PROVIDER_SPECS[result.type] : undefined;
      issues.push({
        credential: name,
        type: result.type,
        problems,
        validCombinations: spec ? [...spec.validCombinations] : [`type: ${CREDENTIAL_TYPES.join(' | ')}`],
      });
    } else {
      validated.push({ name, type: result.type!, fields: result.fields });
    }
  }
  if (issues.length > 0) throw new CredentialConfigError(issues, source);
  return validated;
}

function validateOne(
  name: string,
  raw: unknown,
): { type: CredentialType | undefined; fields: ParsedFields; problems: string[] } {
  const problems: string[] = [];
  if (!NAME_PATTERN.test(name))
    problems.push('name must be 1-64 letters, digits, _ . - (starting with a letter or digit)');
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { type: undefined, fields: {}, problems: [...problems, 'must be a map of fields with a type'] };
  }
  const entries = raw as Record<string, unknown>;
  const typeName = entries['type'];
  if (typeof typeName !== 'string' || !(CREDENTIAL_TYPES as readonly string[]).includes(typeName)) {
    const hint = typeof typeName === 'string' ? closestName(typeName, CREDENTIAL_TYPES) : undefined;
    problems.push(
      typeName === undefined
        ? 'missing type'
        : `unknown type "${String(typeName).slice(0, 40)}"${hint ? ` (did you mean ${hint}?)` : ''}`,
    );
    return { type: undefined, fields: {}, problems };
  }
  const type = typeName as CredentialType;
  const spec = PROVIDER_SPECS[type];
  const fields: Record<string, FieldValue> = {};
  const invalid = new Set<string>();
  for (const [field, value] of Object.entries(entries)) {
    if (UNIVERSAL_FIELDS.has(field)) continue;
    const fieldSpec = spec.fields[field];
    if (!fieldSpec) {
      const hint = closestName(field, Object.keys(spec.fields));
      problems.push(`extra field ${field}${hint ? ` (did you mean ${hint}?)` : ` (not used by ${type})`}`);
      continue;
    }
    // null / empty values from YAML (`key:` with nothing after it) count as missing, reported by the combination check.
    if (value === null || value === undefined || value === '') continue;
    const parsed = parseField(field, fieldSpec, value);
    if ('problem' in parsed) {
      problems.push(parsed.problem);
      invalid.add(field);
    } else fields[field] = parsed.value;
  }
  // A field given with a bad value was already reported; do not also call it missing.
  const isAboutInvalidField = (problem: string) => [...invalid].some((field) => problem.startsWith(`missing ${field}`));
  problems.push(...spec.checkCombination(fields).filter((problem) => !isAboutInvalidField(problem)));
  return { type, fields: Object.freeze(fields), problems: [...new Set(problems)] };
}
