import type { Command } from 'commander';
import { stringify } from 'yaml';
import { ConfigError } from '../config/errors.js';
import { loadConfig } from '../config/load.js';
import { redactConfig } from '../config/redact.js';
import { TrustedProxies } from '../http/request-attributes.js';
import { MIN_SECRET_LENGTH } from '../issue/server-secrets.js';
import { configFlags, type StoreOptions, withStoreOptions } from './common.js';
import { printResult, runCommand } from './output.js';

export function registerConfigCommands(program: Command): void {
  const config = program.command('config').description('inspect the configuration');
  withStoreOptions(
    config.command('check').description('validate the configuration and print it with secrets redacted'),
  ).action(async (options: StoreOptions) =>
    runCommand(async () => {
      const loaded = loadConfig(configFlags(options));
      const problems: string[] = [];
      for (const [name, value] of [
        ['secrets.pepper', loaded.config.secrets.pepper],
        ['secrets.master_key', loaded.config.secrets.master_key],
      ] as const) {
        if (value !== undefined && value.length < MIN_SECRET_LENGTH) {
          problems.push(`${name}: too short, at least ${MIN_SECRET_LENGTH} characters are required`);
        }
      }
      try {
        new TrustedProxies(loaded.config.server.trusted_proxies);
      } catch (error) {
        problems.push((error as Error).message);
      }
      if (problems.length > 0)
        throw new ConfigError(`invalid configuration:\n  - ${problems.join('\n  - ')}`, problems);
      const printable = redactConfig(loaded.config);
      printResult(Boolean(options.json), { valid: true, file: loaded.file, config: printable }, () =>
        [
          `configuration is valid (${loaded.file ?? 'no file; defaults, environment and flags'})`,
          stringify(printable),
        ].join('\n'),
      );
    }, Boolean(options.json)),
  );
}
