import type { Command } from 'commander';
import { stringify } from 'yaml';
import { loadConfig } from '../config/load.js';
import { printableConfig } from '../config/printable.js';
import { configFlags, type StoreOptions, withStoreOptions } from './common.js';
import { printResult, runCommand } from './output.js';

export function registerConfigCommands(program: Command): void {
  const config = program.command('config').description('inspect the configuration');
  withStoreOptions(
    config.command('check').description('validate the configuration and print it with secrets redacted'),
  ).action(async (options: StoreOptions) =>
    runCommand(async () => {
      const loaded = loadConfig(configFlags(options));
      // Every rule lives in the schema: loadConfig has already reported each problem with its path.
      const printable = printableConfig(loaded.config);
      // Warnings go to stderr in both forms, so that the answer on stdout stays the configuration alone.
      for (const warning of loaded.warnings) process.stderr.write(`warning: ${warning}\n`);
      printResult(
        Boolean(options.json),
        { valid: true, file: loaded.file, warnings: loaded.warnings, config: printable },
        () =>
          [
            `configuration is valid (${loaded.file ?? 'no file; defaults, environment and flags'})`,
            stringify(printable),
          ].join('\n'),
      );
    }, Boolean(options.json)),
  );
}
