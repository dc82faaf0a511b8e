import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { CredentialConfigError } from '../errors.js';
import { type InterpolationProblem, interpolateEnv } from './interpolate.js';
import { type ValidatedCredential, validateCredentials } from './validate.js';

/** Where configuration comes from, and the environment to interpolate `${VAR}` from. */
export interface LoadOptions {
  env?: Readonly<Record<string, string | undefined>>;
  /** Shown in error messages (a file path). */
  source?: string;
}

/**
 * Read a configuration object: either `{ credentials: {...} }` (the file shape) or the credentials map
 * itself. `${VAR}` placeholders in strings are resolved from `env`.
 */
export function loadCredentialsObject(config: unknown, options: LoadOptions = {}): ValidatedCredential[] {
  const root =
    config !== null && typeof config === 'object' && !Array.isArray(config) && 'credentials' in config
      ? (config as { credentials: unknown }).credentials
      : config;
  const problems: InterpolationProblem[] = [];
  const interpolated = interpolateEnv(root, options.env ?? process.env, problems);
  return validateCredentials(interpolated, problems, options.source);
}

/** Parse YAML text of the file shape and validate it. */
export function loadCredentialsYaml(text: string, options: LoadOptions = {}): ValidatedCredential[] {
  let document: unknown;
  try {
    document = parseYaml(text, { prettyErrors: false });
  } catch (error) {
    // The YAML library's message quotes the offending line, which may hold a secret; keep only the position.
    const position = (error as { linePos?: Array<{ line: number; col: number }> }).linePos?.[0];
    throw new CredentialConfigError(
      [
        {
          credential: '(file)',
          type: undefined,
          problems: [`not valid YAML${position ? ` (line ${position.line}, column ${position.col})` : ''}`],
          validCombinations: [],
        },
      ],
      options.source,
    );
  }
  if (document === null || typeof document !== 'object' || !('credentials' in document)) {
    throw new CredentialConfigError(
      [
        {
          credential: '(file)',
          type: undefined,
          problems: ['has no top-level `credentials:` map'],
          validCombinations: [],
        },
      ],
      options.source,
    );
  }
  return loadCredentialsObject(document, options);
}

/** Read and validate a YAML credentials file. */
export async function loadCredentialsFile(
  path: string,
  options: Omit<LoadOptions, 'source'> = {},
): Promise<ValidatedCredential[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new CredentialConfigError(
      [
        {
          credential: '(file)',
          type: undefined,
          problems: [`cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`],
          validCombinations: [],
        },
      ],
      path,
    );
  }
  return loadCredentialsYaml(text, { ...options, source: path });
}
