import { existsSync } from 'node:fs';
import { type Command, Option } from 'commander';
import { ConfigError } from '../config/errors.js';
import { configField } from '../config/fields.js';
import { type ConfigFlags, loadConfig } from '../config/load.js';
import { CONFIG_FILE_OPTION, type WardenConfig } from '../config/schema.js';
import { createWarden, type Warden } from '../engine.js';
import { createLogger } from '../observability/logger.js';
import { databaseLocation, sqliteFilePath } from '../store/database.js';
import { findStore, type StorePresence } from '../store/presence.js';
import { printNote } from './output.js';

export interface StoreOptions {
  config?: string;
  dataDir?: string;
  database?: string;
  json?: boolean;
}

/**
 * A flag for the config key at `path`, its help text ending in the default and environment variable the schema
 * declares for that key (config/schema.ts), so help, loader and docs/configuration.md say the same thing.
 */
export function configOption(path: string, valueName: string, summary: string): Option {
  const field = configField(path);
  if (!field.flag) throw new Error(`config key ${path} has no flag`);
  const details = [
    ...(field.defaultText ? [`default: ${field.defaultText.replaceAll('`', '')}`] : []),
    ...(field.env ? [`env ${field.env}`] : []),
  ];
  return new Option(`${field.flag} <${valueName}>`, `${summary} (${details.join('; ')})`);
}

/** `--config FILE`: not a key of the configuration, it names the file that holds it. */
export function configFileOption(): Option {
  return new Option(
    `${CONFIG_FILE_OPTION.flag} <file>`,
    `configuration file (default: warden.yaml if present; env ${CONFIG_FILE_OPTION.env})`,
  );
}

/** The options every command that touches the store accepts. */
export function withStoreOptions(command: Command): Command {
  return command
    .addOption(configFileOption())
    .addOption(configOption('data_dir', 'dir', 'data directory'))
    .addOption(configOption('database.url', 'url', 'sqlite:<path> or postgres://...'))
    .addOption(new Option('--json', 'print machine-readable JSON').default(false));
}

export function configFlags(options: StoreOptions & Partial<ConfigFlags>): ConfigFlags {
  const flags: ConfigFlags = {};
  if (options.config !== undefined) flags.config = options.config;
  if (options.dataDir !== undefined) flags.dataDir = options.dataDir;
  if (options.database !== undefined) flags.database = options.database;
  return flags;
}

/**
 * How a command uses the store. A command must never quietly work on the wrong one: run from another directory
 * or given a mistyped `--data-dir`, it would otherwise make a new, empty store and answer from it.
 */
export interface StoreUse {
  /** The command as the user typed it, for messages: `keys list`. */
  command: string;
  /**
   * Whether the command may make a new store where none exists: only one with something to put in it does
   * (`keys create`, `migrate`), and it says so on stderr. Any other (`keys list`, `show`, `verify`, and `revoke`
   * and `rotate`, whose key can only be in an existing store) refuses, with exit 2.
   */
  mayCreate: boolean;
  /**
   * Whether a PostgreSQL database is asked if it holds a store (default true). `config check` validates where the
   * database may be out of reach (a laptop, CI): it looks at what is on this machine only, the SQLite file and the
   * data directory, which are also what a command run from the wrong directory gets wrong.
   */
  contactsDatabase?: boolean;
}

/** What of the store a configuration names does not exist yet. */
interface MissingStore {
  /** Where the database is, password redacted. */
  location: string;
  database: StorePresence;
  /** The data directory the pepper and master key would be generated into, when it does not exist; else null. */
  dataDir: string | null;
}

async function findMissingStore(
  config: WardenConfig,
  needsSecrets: boolean,
  contactsDatabase: boolean,
): Promise<MissingStore | null> {
  const url = config.database.url!;
  // A database that is not contacted is taken as there: only what the command does not look at is assumed.
  const database = contactsDatabase || sqliteFilePath(url) !== null ? await findStore(url) : 'warden';
  // Secrets the configuration does not give are generated into the data directory (issue/server-secrets.ts).
  const generatesSecrets =
    needsSecrets && (config.secrets.pepper === undefined || config.secrets.master_key === undefined);
  const dataDir = generatesSecrets && !existsSync(config.data_dir) ? config.data_dir : null;
  return database === 'warden' && dataDir === null ? null : { location: databaseLocation(url), database, dataDir };
}

/** The ways to name a store, from the flags and variables the schema declares. */
function storeNamingOptions(): string {
  const dataDir = configField('data_dir');
  const database = configField('database.url');
  return (
    `${dataDir.flag} DIR or ${database.flag} URL ` +
    `(env ${dataDir.env}, ${database.env}; or a ${CONFIG_FILE_OPTION.flag} FILE that sets them)`
  );
}

function refuseMissingStore(use: StoreUse, missing: MissingStore): ConfigError {
  const reasons = [
    ...(missing.database === 'absent' ? ['the file does not exist'] : []),
    ...(missing.database === 'empty' ? ['the database holds no Warden schema'] : []),
    ...(missing.dataDir ? [`the data directory ${missing.dataDir} (pepper and master key) does not exist`] : []),
  ];
  return new ConfigError(
    `no Warden store at ${missing.location}: ${reasons.join('; ')}. ${use.command} uses an existing store and ` +
      `makes none: run it where the server runs, or name the store with ${storeNamingOptions()}; \`warden migrate\` makes a new store.`,
  );
}

function describeCreated(missing: MissingStore): string {
  const parts = [
    ...(missing.database !== 'warden' ? [`a new Warden store at ${missing.location}`] : []),
    ...(missing.dataDir ? [`a new pepper and master key in ${missing.dataDir}`] : []),
  ];
  return `created ${parts.join(' and ')}; to use another store, name it with ${storeNamingOptions()}`;
}

/**
 * Looks at the store `config` names before a command opens it: refuses a missing one when the command may not
 * create it; else returns what opening it will create (null when nothing), for {@link announceCreatedStore}.
 * `needsSecrets`: the command uses the pepper and master key (every command but `migrate`).
 */
export async function checkStore(config: WardenConfig, use: StoreUse, needsSecrets: boolean): Promise<string | null> {
  const missing = await findMissingStore(config, needsSecrets, use.contactsDatabase ?? true);
  if (missing === null) return null;
  if (!use.mayCreate) throw refuseMissingStore(use, missing);
  return describeCreated(missing);
}

/** Tells the user, once the store is open, which store was made: never a silent new store. */
export function announceCreatedStore(created: string | null): void {
  if (created !== null) printNote(created);
}

/**
 * The configuration a command works with. Its warnings go to stderr, as `config check` and `serve` say them: an
 * unknown `WARDEN_*` variable (a misspelt data directory variable) is ignored, and a command must not quietly use
 * the store it falls back to without saying so.
 */
export function loadCommandConfig(options: StoreOptions): WardenConfig {
  const { config, warnings } = loadConfig(configFlags(options));
  for (const warning of warnings) process.stderr.write(`warning: ${warning}\n`);
  return config;
}

/**
 * Runs `body` on an engine for a one-shot command (no background tasks; warnings to stderr), then closes it. The
 * answer names the database it came from (password redacted), so a script can tell which store it spoke to.
 */
export async function withEngine<T extends object>(
  options: StoreOptions,
  use: StoreUse,
  body: (warden: Warden) => Promise<T>,
): Promise<T & { database: string }> {
  const config = loadCommandConfig(options);
  const created = await checkStore(config, use, true);
  const warden = await createWarden({ config, background: false, logger: createLogger('warn', undefined) });
  announceCreatedStore(created);
  try {
    return { ...(await body(warden)), database: warden.database.location };
  } finally {
    await warden.close();
  }
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
