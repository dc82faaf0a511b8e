import { type Command, Option } from 'commander';
import { configField } from '../config/fields.js';
import { type ConfigFlags, loadConfig } from '../config/load.js';
import { CONFIG_FILE_OPTION } from '../config/schema.js';
import { createWarden, type Warden } from '../engine.js';
import { createLogger } from '../observability/logger.js';

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

/** An engine for a one-shot command: no background tasks; warnings to stderr. */
export async function openEngine(options: StoreOptions): Promise<Warden> {
  const { config } = loadConfig(configFlags(options));
  return createWarden({ config, background: false, logger: createLogger('warn', undefined) });
}

export async function withEngine<T>(options: StoreOptions, body: (warden: Warden) => Promise<T>): Promise<T> {
  const warden = await openEngine(options);
  try {
    return await body(warden);
  } finally {
    await warden.close();
  }
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
