import type { Command } from 'commander';
import { loadConfig } from '../config/load.js';
import { openDatabase } from '../store/database.js';
import { migrateToLatest } from '../store/migrations.js';
import { configFlags, type StoreOptions, withStoreOptions } from './common.js';
import { printResult, runCommand } from './output.js';

export function registerMigrateCommand(program: Command): void {
  withStoreOptions(program.command('migrate').description('bring the database schema up to date')).action(
    async (options: StoreOptions) =>
      runCommand(async () => {
        const { config } = loadConfig(configFlags(options));
        const database = openDatabase(config.database.url!);
        try {
          const report = await migrateToLatest(database.db as never, database.dialect);
          printResult(Boolean(options.json), { database: database.location, ...report }, () =>
            report.applied.length > 0
              ? `applied ${report.applied.join(', ')} to ${database.location}`
              : `${database.location} is up to date (${report.current})`,
          );
        } finally {
          await database.close();
        }
      }, Boolean(options.json)),
  );
}
