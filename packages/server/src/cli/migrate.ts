import type { Command } from 'commander';
import { findNonconformingKeys, type NonconformingName } from '../keys/nonconforming.js';
import { openDatabase } from '../store/database.js';
import { migrateToLatest } from '../store/migrations.js';
import { announceCreatedStore, checkStore, loadCommandConfig, type StoreOptions, withStoreOptions } from './common.js';
import { printResult, runCommand } from './output.js';

/** The text warning for stored keys whose names break the alphabets of SECURITY.md #50 (names only, no values). */
function nonconformingWarning(found: readonly NonconformingName[]): string {
  const keys = new Set(found.map((item) => item.id)).size;
  return [
    '',
    `warning: ${keys} API key${keys === 1 ? '' : 's'} stored before names were validated break${keys === 1 ? 's' : ''} the rules for names in identity headers:`,
    ...found.map((item) => `  ${item.id}  ${item.field}: ${item.problem}`),
    'Keys still in use keep working, and their identity headers are escaped so that no name reads as two. To fix',
    'one, create a replacement with conforming names (warden keys create) and revoke it (warden keys revoke ID);',
    'rotating such a key is refused, since a rotation would copy the names.',
  ].join('\n');
}

export function registerMigrateCommand(program: Command): void {
  withStoreOptions(program.command('migrate').description('bring the database schema up to date')).action(
    async (options: StoreOptions) =>
      runCommand(async () => {
        const config = loadCommandConfig(options);
        // migrate makes the schema only; the pepper and master key come with the first command that needs them.
        const created = await checkStore(config, { command: 'migrate', mayCreate: true }, false);
        const database = openDatabase(config.database.url!);
        try {
          const report = await migrateToLatest(database.db as never, database.dialect);
          announceCreatedStore(created);
          const nonconforming = await findNonconformingKeys(database.db);
          // Present only when there is something to fix, so the clean answer keeps its shape.
          const data = {
            database: database.location,
            ...report,
            ...(nonconforming.length > 0 ? { nonconforming } : {}),
          };
          printResult(Boolean(options.json), data, () => {
            const summary =
              report.applied.length > 0
                ? `applied ${report.applied.join(', ')} to ${database.location}`
                : `${database.location} is up to date (${report.current})`;
            return nonconforming.length > 0 ? `${summary}\n${nonconformingWarning(nonconforming)}` : summary;
          });
        } finally {
          await database.close();
        }
      }, Boolean(options.json)),
  );
}
