import { type Command, Option } from 'commander';
import { WardenError } from '../errors/warden-error.js';
import type { ApiKeyView } from '../keys/view.js';
import { collect, type StoreOptions, withEngine, withStoreOptions } from './common.js';
import { printResult, runCommand } from './output.js';

const CLI_ACTOR = { actor: 'cli' };

function describeKey(key: ApiKeyView): string {
  const rows: [string, string | null][] = [
    ['id', key.id],
    ['name', key.name],
    ['subject', `${key.subject} (${key.subjectType})`],
    ['tenant', key.tenant],
    ['admin', String(key.admin)],
    ['roles', key.roles.join(', ') || null],
    ['scopes', key.scopes.join(' ') || null],
    ['metadata', Object.keys(key.metadata).length > 0 ? JSON.stringify(key.metadata) : null],
    ['status', key.status],
    ['created', `${key.createdAt}${key.createdBy ? ` by ${key.createdBy}` : ''}`],
    ['expires', key.expiresAt],
    ['revoked', key.revokedAt ? `${key.revokedAt}${key.revokedReason ? ` (${key.revokedReason})` : ''}` : null],
    ['last used', key.lastUsedAt],
    ['rotated from', key.rotatedFrom],
    ['rotated to', key.rotatedTo],
  ];
  return rows
    .filter(([, value]) => value !== null)
    .map(([label, value]) => `${label.padEnd(13)}${value}`)
    .join('\n');
}

function parseMetadata(pairs: string[]): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const pair of pairs) {
    const equals = pair.indexOf('=');
    if (equals <= 0)
      throw new WardenError('invalid_request', `--metadata expects key=value, got ${JSON.stringify(pair)}`);
    metadata[pair.slice(0, equals)] = pair.slice(equals + 1);
  }
  return metadata;
}

interface CreateOptions extends StoreOptions {
  subject: string;
  name?: string;
  subjectType?: string;
  tenant?: string;
  admin?: boolean;
  role: string[];
  scope: string[];
  expiresIn?: string;
  metadata: string[];
}

export function registerKeysCommands(program: Command): void {
  const keys = program.command('keys').description('manage API keys');

  withStoreOptions(keys.command('create').description('create an API key; the key is printed once'))
    .requiredOption('--subject <subject>', 'who the key identifies (user or service id)')
    .option('--name <name>', 'a label for people')
    .addOption(new Option('--subject-type <type>', 'subject type').choices(['user', 'service', 'agent', 'session']))
    .option('--tenant <tenant>', 'tenant id')
    .option('--admin', 'grant admin rights', false)
    .option('--role <role>', 'a role (repeatable)', collect, [])
    .option('--scope <scope>', 'a scope (repeatable)', collect, [])
    .option('--expires-in <duration>', 'lifetime, e.g. 90d, 12h')
    .option('--metadata <key=value>', 'metadata entry (repeatable)', collect, [])
    .action(async (options: CreateOptions) =>
      runCommand(async () => {
        const input = {
          subject: options.subject,
          ...(options.name !== undefined ? { name: options.name } : {}),
          ...(options.subjectType !== undefined ? { subjectType: options.subjectType as 'service' } : {}),
          ...(options.tenant !== undefined ? { tenant: options.tenant } : {}),
          admin: Boolean(options.admin),
          roles: options.role,
          scopes: options.scope,
          metadata: parseMetadata(options.metadata),
          ...(options.expiresIn !== undefined ? { expiresIn: options.expiresIn } : {}),
        };
        const issued = await withEngine(options, (warden) => warden.keys.create(input, CLI_ACTOR));
        printResult(Boolean(options.json), issued, () =>
          [
            `key          ${issued.key}`,
            describeKey(issued.record),
            '',
            'Store the key now: it is not shown again.',
          ].join('\n'),
        );
      }, Boolean(options.json)),
    );

  withStoreOptions(keys.command('list').description('list API keys (never secrets)'))
    .option('--subject <subject>', 'only this subject')
    .option('--tenant <tenant>', 'only this tenant')
    .addOption(new Option('--status <status>', 'only keys in this state').choices(['active', 'revoked', 'expired']))
    .option('--limit <n>', 'at most this many', '100')
    .option('--after <id>', 'keys after this id (paging)')
    .action(
      async (
        options: StoreOptions & { subject?: string; tenant?: string; status?: string; limit: string; after?: string },
      ) =>
        runCommand(async () => {
          const items = await withEngine(options, (warden) =>
            warden.keys.list({
              ...(options.subject !== undefined ? { subject: options.subject } : {}),
              ...(options.tenant !== undefined ? { tenant: options.tenant } : {}),
              ...(options.status !== undefined ? { status: options.status as 'active' } : {}),
              ...(options.after !== undefined ? { after: options.after } : {}),
              limit: options.limit as unknown as number,
            }),
          );
          printResult(Boolean(options.json), { items }, () =>
            items.length === 0
              ? 'no keys'
              : items
                  .map((k) =>
                    [
                      k.id,
                      k.status.padEnd(7),
                      k.subject,
                      k.name ?? '',
                      k.expiresAt ? `expires ${k.expiresAt}` : '',
                    ].join('  '),
                  )
                  .join('\n'),
          );
        }, Boolean(options.json)),
    );

  withStoreOptions(keys.command('show').argument('<id>', 'key id').description('show one API key')).action(
    async (id: string, options: StoreOptions) =>
      runCommand(async () => {
        const key = await withEngine(options, (warden) => warden.keys.show(id));
        printResult(Boolean(options.json), key, () => describeKey(key));
      }, Boolean(options.json)),
  );

  withStoreOptions(keys.command('revoke').argument('<id>', 'key id').description('revoke an API key'))
    .option('--reason <text>', 'why (kept in the audit log)')
    .action(async (id: string, options: StoreOptions & { reason?: string }) =>
      runCommand(async () => {
        const key = await withEngine(options, (warden) =>
          warden.keys.revoke(id, { reason: options.reason }, CLI_ACTOR),
        );
        printResult(Boolean(options.json), key, () => `revoked ${key.id}\n${describeKey(key)}`);
      }, Boolean(options.json)),
    );

  withStoreOptions(
    keys.command('rotate').argument('<id>', 'key id').description('replace a key; the old one works for --overlap'),
  )
    .option('--overlap <duration>', 'how long the old key keeps working, e.g. 1h (default: stops at once)')
    .option(
      '--expires-in <duration>',
      "the new key's lifetime, e.g. 90d (default: api_keys.default_expires_in, else the old key's expiry)",
    )
    .action(async (id: string, options: StoreOptions & { overlap?: string; expiresIn?: string }) =>
      runCommand(async () => {
        const rotated = await withEngine(options, (warden) =>
          warden.keys.rotate(id, { overlap: options.overlap, expiresIn: options.expiresIn }, CLI_ACTOR),
        );
        printResult(Boolean(options.json), rotated, () =>
          [
            `key          ${rotated.key}`,
            describeKey(rotated.record),
            '',
            `${rotated.previous.id} stops working at ${rotated.previous.expiresAt}.`,
            'Store the new key now: it is not shown again.',
          ].join('\n'),
        );
      }, Boolean(options.json)),
    );

  withStoreOptions(
    keys.command('verify').argument('<key>', 'the API key').description('check a key; exit 1 if invalid'),
  ).action(async (key: string, options: StoreOptions) =>
    runCommand(async () => {
      const result = await withEngine(options, (warden) => warden.keys.verify(key));
      if (!result.ok)
        throw new WardenError(result.code, `key is not valid: ${result.code}`, { details: { valid: false } });
      printResult(
        Boolean(options.json),
        { valid: true, principal: result.principal },
        () =>
          `valid: ${result.principal.subject} (${result.principal.subjectType})${result.principal.admin ? ', admin' : ''}`,
      );
    }, Boolean(options.json)),
  );
}
