import { type Command, Option } from 'commander';
import { WardenError } from '../errors/warden-error.js';
import { nextPageCursor, verificationAnswer } from '../keys/answers.js';
import { type CreateKeyInput, createKeyInput, listKeysInput, revokeKeyInput, rotateKeyInput } from '../keys/inputs.js';
import type { ApiKeyView } from '../keys/view.js';
import { collect, type StoreOptions, type StoreUse, withEngine, withStoreOptions } from './common.js';
import { parseFlagInput } from './flag-input.js';
import { formatTable, printNegativeResult, printResult, runCommand } from './output.js';

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
      throw new WardenError('invalid_request', `--metadata: must be key=value, got ${JSON.stringify(pair)}`);
    metadata[pair.slice(0, equals)] = pair.slice(equals + 1);
  }
  return metadata;
}

/** The flags of `keys create` whose input field is named otherwise: one flag per value, a list in the input. */
const REPEATED_FLAGS = { roles: '--role', scopes: '--scope' };

/** What each command may do about a store that does not exist yet (see StoreUse): only `create` makes one. */
const USES = {
  create: { command: 'keys create', mayCreate: true },
  list: { command: 'keys list', mayCreate: false },
  show: { command: 'keys show', mayCreate: false },
  revoke: { command: 'keys revoke', mayCreate: false },
  rotate: { command: 'keys rotate', mayCreate: false },
  verify: { command: 'keys verify', mayCreate: false },
} as const satisfies Record<string, StoreUse>;

function listTable(items: readonly ApiKeyView[]): string {
  return formatTable(
    ['ID', 'STATUS', 'SUBJECT', 'NAME', 'SCOPES', 'EXPIRES'],
    items.map((key) => [key.id, key.status, key.subject, key.name ?? '', key.scopes.join(' '), key.expiresAt ?? '']),
  );
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

interface ListOptions extends StoreOptions {
  subject?: string;
  tenant?: string;
  status?: string;
  limit: string;
  after?: string;
}

/** The options that were given, so a schema sees exactly what the user typed (and its defaults fill the rest). */
function given<T extends Record<string, unknown>>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as Partial<T>;
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
        const input: CreateKeyInput = {
          subject: options.subject,
          ...given({
            name: options.name,
            subjectType: options.subjectType as CreateKeyInput['subjectType'],
            tenant: options.tenant,
            expiresIn: options.expiresIn,
          }),
          admin: Boolean(options.admin),
          roles: options.role,
          scopes: options.scope,
          metadata: parseMetadata(options.metadata),
        };
        // Checked before the store is opened: a mistyped flag neither creates a store nor names a field.
        parseFlagInput(createKeyInput, input, REPEATED_FLAGS);
        const issued = await withEngine(options, USES.create, (warden) => warden.keys.create(input, CLI_ACTOR));
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
    .option('--after <id>', 'the keys after this id: the next page, as the last page named it')
    .action(async (options: ListOptions) =>
      runCommand(async () => {
        const filter = parseFlagInput(
          listKeysInput,
          given({
            subject: options.subject,
            tenant: options.tenant,
            status: options.status,
            after: options.after,
            limit: options.limit,
          }),
        );
        const page = await withEngine(options, USES.list, async (warden) => {
          const items = await warden.keys.list(filter);
          return { items, next: nextPageCursor(items, filter.limit) };
        });
        printResult(Boolean(options.json), page, () => {
          if (page.items.length === 0) return `no keys in ${page.database}`;
          const more = page.next === null ? [] : [`more keys may follow: repeat with --after ${page.next}`];
          return [listTable(page.items), ...more].join('\n');
        });
      }, Boolean(options.json)),
    );

  withStoreOptions(keys.command('show').argument('<id>', 'key id').description('show one API key')).action(
    async (id: string, options: StoreOptions) =>
      runCommand(async () => {
        const key = await withEngine(options, USES.show, (warden) => warden.keys.show(id));
        printResult(Boolean(options.json), key, () => describeKey(key));
      }, Boolean(options.json)),
  );

  withStoreOptions(keys.command('revoke').argument('<id>', 'key id').description('revoke an API key'))
    .option('--reason <text>', 'why (kept in the audit log)')
    .action(async (id: string, options: StoreOptions & { reason?: string }) =>
      runCommand(async () => {
        const input = given({ reason: options.reason });
        parseFlagInput(revokeKeyInput, input);
        const key = await withEngine(options, USES.revoke, (warden) => warden.keys.revoke(id, input, CLI_ACTOR));
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
        const input = given({ overlap: options.overlap, expiresIn: options.expiresIn });
        parseFlagInput(rotateKeyInput, input);
        const rotated = await withEngine(options, USES.rotate, (warden) => warden.keys.rotate(id, input, CLI_ACTOR));
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
      // The admin API's answer (POST /v1/admin/keys/verify), and the database it came from.
      const answer = await withEngine(options, USES.verify, async (warden) =>
        verificationAnswer(await warden.keys.verify(key)),
      );
      if (!answer.valid) {
        printNegativeResult(Boolean(options.json), answer, () => `key is not valid: ${answer.code}`);
        return;
      }
      const { principal } = answer;
      printResult(
        Boolean(options.json),
        answer,
        () => `valid: ${principal.subject} (${principal.subjectType})${principal.admin ? ', admin' : ''}`,
      );
    }, Boolean(options.json)),
  );
}
