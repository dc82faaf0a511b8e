import type { Command } from 'commander';
import { stringify } from 'yaml';
import { loadConfig } from '../config/load.js';
import { printableConfig } from '../config/printable.js';
import { databaseLocation } from '../store/database.js';
import { checkStore, configFlags, type StoreOptions, type StoreUse, withStoreOptions } from './common.js';
import { printResult, runCommand } from './output.js';

/** A configuration is checked against the store it names: from the wrong directory it names none (see StoreUse). */
const USE: StoreUse = { command: 'config check', mayCreate: false, contactsDatabase: false };

export function registerConfigCommands(program: Command): void {
  const config = program.command('config').description('inspect the configuration');
  withStoreOptions(
    config
      .command('check')
      .description('validate the configuration and print it with secrets redacted; its store must exist'),
  ).action(async (options: StoreOptions) =>
    runCommand(async () => {
      const loaded = loadConfig(configFlags(options));
      // Every rule lives in the schema: loadConfig has already reported each problem with its path.
      const printable = printableConfig(loaded.config);
      // Warnings go to stderr in both forms, so that the answer on stdout stays the configuration alone.
      for (const warning of loaded.warnings) process.stderr.write(`warning: ${warning}\n`);
      await checkStore(loaded.config, USE, true);
      const database = databaseLocation(loaded.config.database.url!);
      printResult(
        Boolean(options.json),
        { valid: true, file: loaded.file, database, warnings: loaded.warnings, config: printable },
        () =>
          [
            `configuration is valid (${loaded.file ?? 'no file; defaults, environment and flags'})`,
            stringify(printable),
          ].join('\n'),
      );
    }, Boolean(options.json)),
  );
}
