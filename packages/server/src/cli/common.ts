import { type Command, Option } from 'commander';
import { type ConfigFlags, loadConfig } from '../config/load.js';
import { createWarden, type Warden } from '../engine.js';
import { createLogger } from '../observability/logger.js';

export interface StoreOptions {
  config?: string;
  dataDir?: string;
  database?: string;
  json?: boolean;
}

/** The options every command that touches the store accepts. */
export function withStoreOptions(command: Command): Command {
  return command
    .option('--config <file>', 'configuration file (default: warden.yaml if present; env WARDEN_CONFIG)')
    .option('--data-dir <dir>', 'data directory (default: .warden; env WARDEN_DATA_DIR)')
    .option('--database <url>', 'sqlite:<path> or postgres://... (env WARDEN_DATABASE_URL)')
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
