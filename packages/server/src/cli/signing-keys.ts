import type { Command } from 'commander';
import type { SigningKeyView } from '../signing-keys/view.js';
import { type StoreOptions, type StoreUse, withEngine, withStoreOptions } from './common.js';
import { formatTable, printResult, runCommand } from './output.js';

const CLI_ACTOR = { actor: 'cli' };

/** Both commands work on an existing store only: a key belongs where the server's other data is. */
const USES = {
  list: { command: 'signing-keys list', mayCreate: false },
  rotate: { command: 'signing-keys rotate', mayCreate: false },
} as const satisfies Record<string, StoreUse>;

function listTable(items: readonly SigningKeyView[]): string {
  return formatTable(
    ['KID', 'ALGORITHM', 'STATE', 'ACTIVATED', 'RETIRED', 'EXPIRES'],
    items.map((key) => [key.kid, key.algorithm, key.state, key.activatedAt, key.retiredAt ?? '', key.expiresAt ?? '']),
  );
}

export function registerSigningKeysCommands(program: Command): void {
  const signingKeys = program.command('signing-keys').description("manage the keys that sign Warden's JWTs");

  withStoreOptions(
    signingKeys.command('list').description('list signing keys: next, active, retired (never key material)'),
  ).action(async (options: StoreOptions) =>
    runCommand(async () => {
      const page = await withEngine(options, USES.list, async (warden) => ({
        items: await warden.signingKeys.service.list(),
      }));
      printResult(Boolean(options.json), page, () =>
        page.items.length === 0
          ? `no signing keys in ${page.database}: warden serve creates the first one when it starts`
          : listTable(page.items),
      );
    }, Boolean(options.json)),
  );

  withStoreOptions(
    signingKeys
      .command('rotate')
      .description(
        'publish the next signing key; it signs after signing_keys.publish_ahead, then the active key retires',
      ),
  )
    .option('--now', 'activate the new key at once (a leaked key): tokens it signs may meet stale JWKS caches', false)
    .action(async (options: StoreOptions & { now: boolean }) =>
      runCommand(async () => {
        const rotated = await withEngine(options, USES.rotate, (warden) =>
          warden.signingKeys.service.rotate({ now: Boolean(options.now) }, CLI_ACTOR),
        );
        printResult(Boolean(options.json), rotated, () => {
          const { key, previous } = rotated;
          if (previous === null) return `created the first signing key ${key.kid} (${key.algorithm}), active now`;
          return [
            `published ${key.kid} (${key.algorithm}); it signs from ${key.activatedAt}.`,
            `${previous.kid} retires then and stays in the JWKS until ${previous.expiresAt}.`,
          ].join('\n');
        });
      }, Boolean(options.json)),
    );
}
