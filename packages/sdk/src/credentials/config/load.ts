import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { CredentialConfigError, type CredentialConfigIssue } from '../errors.js';
import { type InterpolationProblem, interpolateEnv } from './interpolate.js';
import { credentialEntries, type ValidatedCredential, validateCredential } from './validate.js';

/** Where configuration comes from, and the environment to interpolate `${VAR}` from. */
export interface LoadOptions {
  env?: Readonly<Record<string, string | undefined>>;
  /** Shown in error messages (a file path). */
  source?: string;
  /**
   * Without it, one invalid credential fails the whole load (every problem of every credential in one error).
   * With it, each invalid credential is handed to it as its own error (`issues[0]` names the credential) and
   * left out, so the valid ones stay usable. Problems of the whole file (unreadable, not YAML, no
   * `credentials:` map) are thrown either way.
   */
  onInvalidCredential?: (error: CredentialConfigError) => void;
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
  const env = options.env ?? process.env;
  const valid: ValidatedCredential[] = [];
  const issues: CredentialConfigIssue[] = [];
  for (const [name, raw] of credentialEntries(root, options.source)) {
    // Interpolated one credential at a time, so each unset variable is reported with the credential that uses it.
    const unset: InterpolationProblem[] = [];
    const result = validateCredential(name, interpolateEnv(raw, env, unset), unset);
    if (result.ok) valid.push(result.credential);
    else issues.push(result.issue);
  }
  if (issues.length > 0 && !options.onInvalidCredential) throw new CredentialConfigError(issues, options.source);
  for (const issue of issues) options.onInvalidCredential?.(new CredentialConfigError([issue], options.source));
  return valid;
}

/** Parse YAML text of the file shape and validate it. */
export function loadCredentialsYaml(text: string, options: LoadOptions = {}): ValidatedCredential[] {
  let document: unknown;
  try {
    document = parseYaml(text, { prettyErrors: false });
  } catch (error) {
    // The YAML library's message quotes the offending line, which may hold a secret; keep only the position.
    const position = (error as { linePos?: Array<{ line: number; col: number }> }).linePos?.[0];
    throw fileError(
      `not valid YAML${position ? ` (line ${position.line}, column ${position.col})` : ''}`,
      options.source,
    );
  }
  if (document === null || typeof document !== 'object' || !('credentials' in document)) {
    throw fileError('has no top-level `credentials:` map', options.source);
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
    throw new UnreadableFileError(path, systemErrorReason(error));
  }
  return loadCredentialsYaml(text, { ...options, source: path });
}

function fileError(problem: string, source: string | undefined): CredentialConfigError {
  return new CredentialConfigError(
    [{ credential: '(file)', type: undefined, problems: [problem], validCombinations: [] }],
    source,
  );
}

/**
 * A file that cannot be read has nothing to list per credential: its message is the one sentence a user needs
 * (`cannot read credentials.yaml: no such file or directory (ENOENT)`). It stays a CredentialConfigError with
 * a `(file)` issue, like every other problem of the file.
 */
class UnreadableFileError extends CredentialConfigError {
  constructor(path: string, reason: string) {
    super([{ credential: '(file)', type: undefined, problems: [`cannot be read: ${reason}`], validCombinations: [] }]);
    this.message = `cannot read ${path}: ${reason}`;
  }
}

/** The operating system's reason, as Node words it, without the path it repeats: `no such file or directory (ENOENT)`. */
function systemErrorReason(error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  // Node's system errors read `ENOENT: no such file or directory, open 'PATH'`.
  const description = typeof message === 'string' ? /^[A-Z0-9_]+: ([^,]+)/.exec(message)?.[1] : undefined;
  if (description && code) return `${description} (${code})`;
  return code ?? description ?? 'unknown error';
}
