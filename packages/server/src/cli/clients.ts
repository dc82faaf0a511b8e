import { readFileSync } from 'node:fs';
import { type Command, Option } from 'commander';
import {
  CLIENT_AUTH_METHODS,
  CLIENT_GRANT_TYPES,
  type CreateClientInput,
  createClientInput,
  listClientsInput,
  rotateClientSecretInput,
} from '../clients/inputs.js';
import { type IssuedClientSecret, type IssuedKeyClient, tokenTtlProblem } from '../clients/service.js';
import type { OAuthClientView } from '../clients/view.js';
import { loadConfig } from '../config/load.js';
import { WardenError } from '../errors/warden-error.js';
import { nextPageCursor } from '../keys/answers.js';
import { collect, configFlags, type StoreOptions, type StoreUse, withEngine, withStoreOptions } from './common.js';
import { parseFlagInput } from './flag-input.js';
import { formatTable, printResult, runCommand } from './output.js';

const CLI_ACTOR = { actor: 'cli' };

/** Only `create` may make a new store: every other command names a client, which can only be in an existing one. */
const USES = {
  create: { command: 'clients create', mayCreate: true },
  list: { command: 'clients list', mayCreate: false },
  show: { command: 'clients show', mayCreate: false },
  rotateSecret: { command: 'clients rotate-secret', mayCreate: false },
  disable: { command: 'clients disable', mayCreate: false },
  enable: { command: 'clients enable', mayCreate: false },
  delete: { command: 'clients delete', mayCreate: false },
} as const satisfies Record<string, StoreUse>;

/** The flags of `clients create` whose input field is named otherwise: one flag per value, a list in the input. */
const REPEATED_FLAGS = { scopes: '--scope', grantTypes: '--grant-type', audiences: '--audience', roles: '--role' };

function describeClient(client: OAuthClientView): string {
  const rows: [string, string | null][] = [
    ['client id', client.id],
    ['name', client.name],
    ['status', client.status],
    ['auth method', client.authMethod],
    ['grant types', client.grantTypes.join(' ')],
    ['scopes', client.scopes.join(' ') || null],
    ['audiences', client.audiences.join(' ') || null],
    ['tenant', client.tenant],
    ['roles', client.roles.join(', ') || null],
    ['admin', String(client.admin)],
    ['introspect', String(client.introspect)],
    ['token ttl', client.tokenTtlSeconds === null ? 'default (tokens.access_token_ttl)' : `${client.tokenTtlSeconds}s`],
    ['metadata', Object.keys(client.metadata).length > 0 ? JSON.stringify(client.metadata) : null],
    ['created', `${client.createdAt}${client.createdBy ? ` by ${client.createdBy}` : ''}`],
    ['disabled', client.disabledAt],
    ['old secret until', client.previousSecretExpiresAt],
  ];
  return rows
    .filter(([, value]) => value !== null)
    .map(([label, value]) => `${label.padEnd(17)}${value}`)
    .join('\n');
}

/** The JSON of `--jwks FILE`; the file's contents are never quoted back (it may be a private key by mistake). */
function readJwksFile(file: string): CreateClientInput['jwks'] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new WardenError('invalid_request', `--jwks: cannot read ${file}: ${(error as NodeJS.ErrnoException).code}`);
  }
  try {
    return JSON.parse(text) as CreateClientInput['jwks'];
  } catch {
    throw new WardenError('invalid_request', `--jwks: ${file} is not JSON (a JWKS: {"keys": [...]})`);
  }
}

function describeIssued(issued: IssuedClientSecret | IssuedKeyClient, closing: string[]): string {
  if (issued.client_secret === null) {
    return [describeClient(issued.client), '', ...closing, 'It authenticates with its private key (private_key_jwt).']
      .join('\n')
      .trimEnd();
  }
  return [
    `client secret    ${issued.client_secret}`,
    describeClient(issued.client),
    '',
    ...closing,
    'Store the client secret now: it is not shown again.',
  ].join('\n');
}

function listTable(items: readonly OAuthClientView[]): string {
  return formatTable(
    ['ID', 'STATUS', 'NAME', 'AUTH METHOD', 'SCOPES'],
    items.map((client) => [client.id, client.status, client.name, client.authMethod, client.scopes.join(' ')]),
  );
}

/** The options that were given, so a schema sees exactly what the user typed (and its defaults fill the rest). */
function given<T extends Record<string, unknown>>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as Partial<T>;
}

interface CreateOptions extends StoreOptions {
  name: string;
  scope: string[];
  grantType: string[];
  audience: string[];
  tenant?: string;
  role: string[];
  admin: boolean;
  introspect: boolean;
  tokenTtl?: string;
  authMethod?: string;
  jwks?: string;
}

interface ListOptions extends StoreOptions {
  status?: string;
  limit: string;
  after?: string;
}

/** A command on one client by id: show, disable, enable, delete. */
function registerClientCommand(
  clients: Command,
  name: 'show' | 'disable' | 'enable' | 'delete',
  description: string,
  run: (client: OAuthClientView) => string,
): void {
  withStoreOptions(clients.command(name).argument('<id>', 'client id').description(description)).action(
    async (id: string, options: StoreOptions) =>
      runCommand(async () => {
        const client = await withEngine(options, USES[name], (warden) =>
          name === 'show' ? warden.clients.show(id) : warden.clients[name](id, CLI_ACTOR),
        );
        printResult(Boolean(options.json), client, () => run(client));
      }, Boolean(options.json)),
  );
}

export function registerClientsCommands(program: Command): void {
  const clients = program.command('clients').description('manage OAuth 2.0 clients (service accounts)');

  withStoreOptions(clients.command('create').description('register a client; its secret is printed once'))
    .requiredOption('--name <name>', 'a label for people')
    .option('--scope <scope>', 'a scope the client may ask for (repeatable)', collect, [])
    .option(
      '--grant-type <type>',
      `a grant type it may use: ${CLIENT_GRANT_TYPES.join(' or ')} (repeatable; default client_credentials)`,
      collect,
      [],
    )
    .option(
      '--audience <audience>',
      'an audience it may get tokens for; the first is the default (repeatable)',
      collect,
      [],
    )
    .option('--tenant <tenant>', 'tenant id')
    .option('--role <role>', 'a role (repeatable)', collect, [])
    .option('--admin', 'its tokens carry admin rights', false)
    .option('--introspect', 'it may ask POST /oauth2/introspect about any credential', false)
    .option('--token-ttl <duration>', 'lifetime of its access tokens, e.g. 15m (default: tokens.access_token_ttl)')
    .addOption(
      new Option('--auth-method <method>', 'how it authenticates (default client_secret_basic)').choices(
        CLIENT_AUTH_METHODS,
      ),
    )
    .option('--jwks <file>', 'a JSON file with the public keys of a private_key_jwt client ({"keys": [...]})')
    .action(async (options: CreateOptions) =>
      runCommand(async () => {
        const input: CreateClientInput = {
          name: options.name,
          scopes: options.scope,
          audiences: options.audience,
          roles: options.role,
          admin: Boolean(options.admin),
          introspect: Boolean(options.introspect),
          ...(options.grantType.length > 0 ? { grantTypes: options.grantType as CreateClientInput['grantTypes'] } : {}),
          ...given({
            tenant: options.tenant,
            tokenTtl: options.tokenTtl,
            authMethod: options.authMethod as CreateClientInput['authMethod'],
          }),
          ...(options.jwks !== undefined ? { jwks: readJwksFile(options.jwks) } : {}),
        };
        // Checked before the store is opened: a mistyped flag neither creates a store nor names a field.
        const fields = parseFlagInput(createClientInput, input, REPEATED_FLAGS);
        const { config } = loadConfig(configFlags(options));
        const ttlProblem =
          fields.tokenTtl === undefined
            ? null
            : tokenTtlProblem(fields.tokenTtl, config.signing_keys.retain_after_retire);
        if (ttlProblem !== null) throw new WardenError('invalid_request', `--token-ttl: ${ttlProblem}`);
        const issued = await withEngine(options, USES.create, (warden) => warden.clients.create(input, CLI_ACTOR));
        printResult(Boolean(options.json), issued, () => describeIssued(issued, []));
      }, Boolean(options.json)),
    );

  withStoreOptions(clients.command('list').description('list clients (never secrets)'))
    .addOption(new Option('--status <status>', 'only clients in this state').choices(['active', 'disabled']))
    .option('--limit <n>', 'at most this many', '100')
    .option('--after <id>', 'the clients after this id: the next page, as the last page named it')
    .action(async (options: ListOptions) =>
      runCommand(async () => {
        const filter = parseFlagInput(
          listClientsInput,
          given({ status: options.status, after: options.after, limit: options.limit }),
        );
        const page = await withEngine(options, USES.list, async (warden) => {
          const items = await warden.clients.list(filter);
          return { items, next: nextPageCursor(items, filter.limit) };
        });
        printResult(Boolean(options.json), page, () => {
          if (page.items.length === 0) return `no clients in ${page.database}`;
          const more = page.next === null ? [] : [`more clients may follow: repeat with --after ${page.next}`];
          return [listTable(page.items), ...more].join('\n');
        });
      }, Boolean(options.json)),
    );

  registerClientCommand(clients, 'show', 'show one client', describeClient);

  withStoreOptions(
    clients
      .command('rotate-secret')
      .argument('<id>', 'client id')
      .description("replace a client's secret; the old one works for --overlap"),
  )
    .option('--overlap <duration>', 'how long the old secret keeps working, e.g. 1h (default: stops at once)')
    .action(async (id: string, options: StoreOptions & { overlap?: string }) =>
      runCommand(async () => {
        const input = given({ overlap: options.overlap });
        parseFlagInput(rotateClientSecretInput, input);
        const rotated = await withEngine(options, USES.rotateSecret, (warden) =>
          warden.clients.rotateSecret(id, input, CLI_ACTOR),
        );
        const until = rotated.client.previousSecretExpiresAt;
        printResult(Boolean(options.json), rotated, () =>
          describeIssued(rotated, [until ? `The old secret works until ${until}.` : 'The old secret no longer works.']),
        );
      }, Boolean(options.json)),
    );

  registerClientCommand(
    clients,
    'disable',
    'refuse the token requests of a client (tokens it holds live until they expire)',
    (client) => `disabled ${client.id}`,
  );
  registerClientCommand(clients, 'enable', 'accept the token requests of a disabled client again', (client) => {
    return `enabled ${client.id}`;
  });
  registerClientCommand(clients, 'delete', 'delete a client', (client) => `deleted ${client.id} (${client.name})`);
}
