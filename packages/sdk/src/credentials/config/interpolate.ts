/**
 * `${NAME}` and `${NAME:-default}` substitution from the environment in every string of a parsed YAML tree.
 * `$${` writes a literal `${`. A variable that is unset (and has no default) is a problem reported with the
 * credential and field it was meant for, never a silent empty string: an empty secret would fail far from here.
 */
const PLACEHOLDER = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export interface InterpolationProblem {
  /** Path of the value inside what was interpolated, e.g. `key` or `scopes[0]`. */
  path: string;
  variable: string;
}

export function interpolateEnv(
  value: unknown,
  env: Readonly<Record<string, string | undefined>>,
  problems: InterpolationProblem[],
  path = '',
): unknown {
  if (typeof value === 'string') {
    return value.replace(PLACEHOLDER, (match, variable: string | undefined, fallback: string | undefined) => {
      if (match === '$${') return '${';
      const resolved = env[variable!];
      if (resolved !== undefined && resolved !== '') return resolved;
      if (fallback !== undefined) return fallback;
      problems.push({ path, variable: variable! });
      return '';
    });
  }
  if (Array.isArray(value)) {
    return value.map((item, index) => interpolateEnv(item, env, problems, `${path}[${index}]`));
  }
  if (value !== null && typeof value === 'object') {
    const result: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      result[key] = interpolateEnv(item, env, problems, path ? `${path}.${key}` : key);
    }
    return result;
  }
  return value;
}

/**
 * The unset variables of one credential, each reported once however many fields use it
 * (`environment variable HOST is not set (for token_url, issuer)`), and the top-level fields they were meant
 * for: those fields were just reported, so validation must not report them again as missing or malformed.
 */
export function describeUnsetVariables(
  credential: string,
  problems: readonly InterpolationProblem[],
): { problems: string[]; fields: Set<string> } {
  const pathsByVariable = new Map<string, Set<string>>();
  const fields = new Set<string>();
  for (const { path, variable } of problems) {
    const paths = pathsByVariable.get(variable) ?? new Set<string>();
    paths.add(path || credential);
    pathsByVariable.set(variable, paths);
    if (path) fields.add(path.split(/[.[]/, 1)[0]!);
  }
  return {
    problems: [...pathsByVariable].map(
      ([variable, paths]) => `environment variable ${variable} is not set (for ${[...paths].join(', ')})`,
    ),
    fields,
  };
}
