import { CredentialConfigError, type CredentialConfigIssue } from '../errors.js';
import { CREDENTIAL_TYPES, type CredentialType } from '../providers/provider.js';
import { PROVIDER_SPECS } from '../providers/registry.js';
import { closestName, type FieldValue, type ParsedFields, parseField } from './fields.js';
import { describeUnsetVariables, type InterpolationProblem } from './interpolate.js';

/** One credential after validation: its type and parsed fields (secrets already wrapped). */
export interface ValidatedCredential {
  name: string;
  type: CredentialType;
  fields: ParsedFields;
}

/** The outcome of validating one credential: a value either way, so a caller decides what an invalid one means. */
export type CredentialValidation =
  | { ok: true; credential: ValidatedCredential }
  | { ok: false; issue: CredentialConfigIssue };

/** Credential names become header-free identifiers in logs, CLI arguments and events. */
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** Fields any credential may carry that no provider reads. */
const UNIVERSAL_FIELDS = new Set(['type', 'description']);

/**
 * The entries of a `credentials` map. Anything else is a problem of the whole configuration, not of one
 * credential, so it is thrown whatever the caller does with invalid credentials.
 */
export function credentialEntries(credentials: unknown, source?: string): Array<[string, unknown]> {
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
  return Object.entries(credentials as Record<string, unknown>);
}

/**
 * Validate one credential, already interpolated. Every problem it has goes into one issue, with the field
 * combinations its type accepts, so a user fixes it in one pass.
 * @param unsetVariables the `${VAR}` placeholders of this credential that had no value.
 */
export function validateCredential(
  name: string,
  raw: unknown,
  unsetVariables: readonly InterpolationProblem[] = [],
): CredentialValidation {
  const unset = describeUnsetVariables(name, unsetVariables);
  const result = validateFields(name, raw, unset.fields);
  const problems = [...unset.problems, ...result.problems];
  if (problems.length === 0) return { ok: true, credential: { name, type: result.type!, fields: result.fields } };
  const spec = result.type ? PROVIDER_SPECS[result.type] : undefined;
  return {
    ok: false,
    issue: {
      credential: name,
      type: result.type,
      problems,
      validCombinations: spec ? [...spec.validCombinations] : [`type: ${CREDENTIAL_TYPES.join(' | ')}`],
    },
  };
}

/**
 * @param reported fields whose problem is already known (an unset variable): neither parsed nor reported as
 * missing, so each problem is stated once.
 */
function validateFields(
  name: string,
  raw: unknown,
  reported: ReadonlySet<string>,
): { type: CredentialType | undefined; fields: ParsedFields; problems: string[] } {
  const problems: string[] = [];
  if (!NAME_PATTERN.test(name))
    problems.push('name must be 1-64 letters, digits, _ . - (starting with a letter or digit)');
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { type: undefined, fields: {}, problems: [...problems, 'must be a map of fields with a type'] };
  }
  const entries = raw as Record<string, unknown>;
  const typeName = entries['type'];
  if (reported.has('type')) return { type: undefined, fields: {}, problems };
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
  const invalid = new Set<string>(reported);
  for (const [field, value] of Object.entries(entries)) {
    if (UNIVERSAL_FIELDS.has(field)) continue;
    const fieldSpec = spec.fields[field];
    if (!fieldSpec) {
      const hint = closestName(field, Object.keys(spec.fields));
      problems.push(`extra field ${field}${hint ? ` (did you mean ${hint}?)` : ` (not used by ${type})`}`);
      continue;
    }
    // null / empty values from YAML (`key:` with nothing after it) count as missing, reported by the combination check.
    if (invalid.has(field) || value === null || value === undefined || value === '') continue;
    const parsed = parseField(field, fieldSpec, value);
    if ('problem' in parsed) {
      problems.push(parsed.problem);
      invalid.add(field);
    } else fields[field] = parsed.value;
  }
  problems.push(...spec.checkCombination(fields).filter((problem) => !isMissingOneOf(problem, invalid)));
  return { type, fields: Object.freeze(fields), problems: [...new Set(problems)] };
}

/**
 * Whether a combination problem only says that one of these fields is missing (`missing token_url or issuer`,
 * `missing issuer (or token_url + authorization_url)`): a field given with a bad value was already reported.
 */
function isMissingOneOf(problem: string, fields: ReadonlySet<string>): boolean {
  if (!problem.startsWith('missing ')) return false;
  const [wanted = ''] = problem.slice('missing '.length).split(' (', 1);
  return wanted.split(/ or | \+ /).some((field) => fields.has(field));
}
