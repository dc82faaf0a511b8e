import { didYouMean } from '@warden/sdk';
import { configFields } from './fields.js';
import { CONFIG_FILE_OPTION, SINGLE_KEY_OPTION } from './schema.js';

/** The prefix of Warden's environment variables: a name with it that Warden does not read is most likely a typo. */
const PREFIX = 'WARDEN_';

/**
 * WARDEN_* variables read outside the configuration: a warning about them would be wrong. Keep this list in step
 * with the code (a test reads the repository for every WARDEN_* name and checks each one is known).
 */
const OTHER_VARIABLES: readonly string[] = [
  // `warden token`: the credentials file (cli/token.ts).
  'WARDEN_CREDENTIALS',
  // The test suites: PostgreSQL is required (CI), where it is, and where the RabbitMQ OAuth fixture keeps its keys.
  'WARDEN_REQUIRE_POSTGRES',
  'WARDEN_TEST_POSTGRES_URL',
  'WARDEN_TEST_RABBITMQ_OAUTH_DIR',
];

/** Every WARDEN_* environment variable something in Warden reads. */
export const KNOWN_ENVIRONMENT_VARIABLES: readonly string[] = [
  ...configFields().flatMap((field) => (field.env ? [field.env] : [])),
  CONFIG_FILE_OPTION.env,
  SINGLE_KEY_OPTION.env,
  ...OTHER_VARIABLES,
];

/** A warning for each WARDEN_* variable nothing reads (a misspelt one, say), with the known one it resembles. */
export function unknownEnvironmentWarnings(env: Record<string, string | undefined>): string[] {
  const known = new Set(KNOWN_ENVIRONMENT_VARIABLES);
  // Compared without the prefix they all share, so that it does not make every name look close to every other.
  const suffixes = KNOWN_ENVIRONMENT_VARIABLES.map((name) => name.slice(PREFIX.length));
  return Object.keys(env)
    .filter((name) => name.startsWith(PREFIX) && !known.has(name))
    .sort()
    .map((name) => {
      const guess = didYouMean(name.slice(PREFIX.length), suffixes);
      return `${name}: unknown environment variable, ignored${guess ? ` (did you mean ${PREFIX}${guess}?)` : ''}`;
    });
}
