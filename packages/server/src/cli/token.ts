import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import {
  type CredentialConfigError,
  CredentialError,
  CredentialManager,
  decodeUnverifiedJwt,
  type OtpCallback,
} from '@warden/sdk/credentials';
import { type Command, Option } from 'commander';
import { CREDENTIAL_ERRORS } from '../errors/registry.js';
import { WardenError } from '../errors/warden-error.js';
import { EXIT, printResult, runCommand } from './output.js';

/** Where `warden token get` looks for credentials when neither --credentials nor $WARDEN_CREDENTIALS names a file. */
const DEFAULT_CREDENTIALS_FILE = 'credentials.yaml';
const CREDENTIALS_FILE_ENV = 'WARDEN_CREDENTIALS';

interface TokenGetOptions {
  credentials?: string;
  /** Deprecated alias of `credentials`: everywhere else `--config` names warden.yaml. */
  config?: string;
  json: boolean;
  header: boolean;
  otp?: string;
  openBrowser: boolean;
}

/**
 * `warden token ...`: outbound credentials from the SDK's credential manager.
 * - `token get NAME` prints the token (or key) of a configured credential, for scripts. Only that credential
 *   has to be valid: problems of the others are warnings on stderr.
 * - `token inspect TOKEN` decodes a JWT without trusting it.
 * Exit codes: 0 success; 1 a negative answer (refused by the server, expired or undecodable token);
 * 2 a usage or configuration error (unreadable file, the credential asked for is invalid or unknown).
 */
export function registerTokenCommands(program: Command): void {
  const token = program.command('token').description('outbound credentials: get tokens for scripts, inspect JWTs');

  token
    .command('get')
    .description('print the token (or key) of a configured credential')
    .argument('<name>', 'credential name in the credentials file')
    .addOption(
      new Option(
        '--credentials <file>',
        `credentials file (default: $${CREDENTIALS_FILE_ENV}, else ./${DEFAULT_CREDENTIALS_FILE})`,
      ),
    )
    .addOption(new Option('--config <file>', 'deprecated: use --credentials').conflicts('credentials'))
    .addOption(new Option('--header', 'print the whole "Name: value" header line instead').default(false))
    .addOption(new Option('--json', 'print {"token", "headers", "expires_at"} as JSON').default(false))
    .option('--otp <code>', 'one-time password for an oauth2_password credential (prompted on a terminal otherwise)')
    .addOption(new Option('--open-browser', 'open a browser for an interactive oauth2_auth_code login').default(false))
    .action(async (name: string, options: TokenGetOptions) => {
      await runTokenCommand(options.json, () => tokenGet(name, options));
    });

  token
    .command('inspect')
    .description('decode a JWT (header, claims, expiry) WITHOUT verifying it; "-" or nothing reads it from stdin')
    .argument('[token]', 'the JWT; prefer "-" and stdin so the token stays out of shell history and ps')
    .addOption(
      new Option('--json', 'print {"header", "claims", "expires_at", "expired", "verified": false}').default(false),
    )
    .action(async (value: string | undefined, options: { json: boolean }) => {
      await runTokenCommand(options.json, () => tokenInspect(value, options.json));
    });
}

async function tokenGet(name: string, options: TokenGetOptions): Promise<void> {
  const file = credentialsFile(options);
  const manager = await CredentialManager.fromFile(file, {
    // Only the credential asked for has to be valid; its own error is thrown when it is used below.
    onInvalidCredential: (error) => {
      if (error.issues[0]?.credential !== name) warnInvalidCredential(file, error);
    },
    otp: otpSource(options.otp),
    // The login URL goes to stderr so stdout stays the token alone.
    onAuthorizationUrl: (url, credential) => {
      process.stderr.write(`To log in for credential "${credential}", open this URL in a browser:\n  ${url}\n`);
    },
    retry: { attempts: 2 },
  });
  try {
    if (options.openBrowser && manager.names().includes(name) && manager.typeOf(name) === 'oauth2_auth_code') {
      await manager.login(name, { openBrowser: true });
    }
    const credential = await manager.getCredential(name);
    const headers = Object.fromEntries(
      Object.entries(credential.headers).map(([header, value]) => [displayHeaderName(header), value.reveal()]),
    );
    printResult(
      options.json,
      {
        credential: name,
        type: credential.type,
        token: credential.token.reveal(),
        headers,
        expires_at: credential.expiresAt?.toISOString() ?? null,
      },
      () =>
        options.header
          ? Object.entries(headers)
              .map(([header, value]) => `${header}: ${value}`)
              .join('\n')
          : credential.token.reveal(),
    );
  } finally {
    manager.close();
  }
}

/** `--credentials`, else the deprecated `--config`, else $WARDEN_CREDENTIALS, else ./credentials.yaml if it exists. */
function credentialsFile(options: TokenGetOptions): string {
  if (options.config !== undefined) {
    process.stderr.write('warning: "token get --config" is deprecated; use --credentials FILE\n');
  }
  const named = options.credentials ?? options.config ?? (process.env[CREDENTIALS_FILE_ENV] || undefined);
  if (named !== undefined) return named;
  if (!existsSync(DEFAULT_CREDENTIALS_FILE)) {
    throw new WardenError(
      'config_invalid',
      `no credentials file: pass --credentials FILE, set ${CREDENTIALS_FILE_ENV}, or create ./${DEFAULT_CREDENTIALS_FILE}`,
    );
  }
  return DEFAULT_CREDENTIALS_FILE;
}

/** One line per credential that cannot be used; problems name fields only, never a value. */
function warnInvalidCredential(file: string, error: CredentialConfigError): void {
  for (const issue of error.issues) {
    const type = issue.type ? ` (type ${issue.type})` : '';
    process.stderr.write(
      `warning: ${file}: credential "${issue.credential}"${type} is invalid and was skipped: ${issue.problems.join('; ')}\n`,
    );
  }
}

/** `--otp` wins; on a terminal the user is asked; otherwise the credential fails with otp_required. */
function otpSource(flag: string | undefined): OtpCallback | undefined {
  if (flag !== undefined) return ({ attempt }) => (attempt === 1 ? flag : undefined);
  if (!process.stdin.isTTY || !process.stderr.isTTY) return undefined;
  return async ({ credential, attempt }) => {
    const prompt = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    try {
      const answer = await prompt.question(
        `One-time password for credential "${credential}"${attempt > 1 ? ' (the last one was rejected)' : ''}: `,
      );
      return answer.trim() || undefined;
    } finally {
      prompt.close();
    }
  };
}

async function tokenInspect(value: string | undefined, json: boolean): Promise<void> {
  const token = (value === undefined || value === '-' ? await readStdin() : value).trim();
  if (token === '') throw new WardenError('invalid_request', 'no token given (pass it as an argument or on stdin)');
  const decoded = decodeUnverifiedJwt(token);
  // The reason never echoes the input: it may be a secret that is not a JWT at all (an API key pasted by mistake).
  if ('error' in decoded) throw new WardenError('not_decodable', decoded.error);
  const { header, claims } = decoded;
  const now = Date.now();
  const expiresAt = typeof claims['exp'] === 'number' ? claims['exp'] * 1000 : null;
  const expired = expiresAt !== null && expiresAt <= now;
  const times: Array<[string, number | null]> = [
    ['issued', typeof claims['iat'] === 'number' ? claims['iat'] * 1000 : null],
    ['not before', typeof claims['nbf'] === 'number' ? claims['nbf'] * 1000 : null],
    ['expires', expiresAt],
  ];
  printResult(
    json,
    {
      verified: false,
      header,
      claims,
      issued_at: isoOrNull(times[0]![1]),
      expires_at: isoOrNull(expiresAt),
      expired,
    },
    () => {
      const lines = [
        'NOT VERIFIED: decoded only; the signature, issuer and audience were not checked.',
        `header   ${JSON.stringify(header)}`,
        `claims   ${JSON.stringify(claims, null, 2).replace(/\n/g, '\n         ')}`,
      ];
      for (const [label, at] of times) {
        if (at !== null) lines.push(`${label.padEnd(9)}${new Date(at).toISOString()} (${relativeTime(at, now)})`);
      }
      if (expiresAt === null) lines.push('expires  never (no exp claim)');
      return lines.join('\n');
    },
  );
  if (expired) process.exitCode = EXIT.negative;
}

/** "in 5 minutes", "3 hours ago". */
export function relativeTime(at: number, now: number): string {
  const seconds = Math.round((at - now) / 1000);
  const magnitude = Math.abs(seconds);
  const units: Array<[string, number]> = [
    ['day', 86_400],
    ['hour', 3_600],
    ['minute', 60],
    ['second', 1],
  ];
  const [unit, size] = units.find(([, unitSize]) => magnitude >= unitSize) ?? ['second', 1];
  const count = Math.floor(magnitude / size);
  const text = `${count} ${unit}${count === 1 ? '' : 's'}`;
  if (seconds === 0) return 'now';
  return seconds > 0 ? `in ${text}` : `${text} ago`;
}

function isoOrNull(at: number | null): string | null {
  return at === null ? null : new Date(at).toISOString();
}

/** `authorization` -> `Authorization`, `x-api-key` -> `X-API-Key`, `x-billing-key` -> `X-Billing-Key`. */
function displayHeaderName(header: string): string {
  if (header === 'x-api-key') return 'X-API-Key';
  return header.replace(/(^|-)([a-z])/g, (_match, dash: string, letter: string) => dash + letter.toUpperCase());
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * SDK errors keep their code and take their exit code from the registry's outbound-credential entries, even
 * where the same code means something else on the API (the authorization server's `invalid_request` is a
 * negative answer, not the user's usage mistake).
 */
function asCliError(error: unknown): unknown {
  if (!(error instanceof CredentialError)) return error;
  const details: Record<string, unknown> = {};
  if (error.credential) details['credential'] = error.credential;
  if ('issues' in error) details['issues'] = (error as { issues: unknown }).issues;
  return new WardenError(error.code, error.message, { details, exit: CREDENTIAL_ERRORS[error.code].exit });
}

function runTokenCommand(json: boolean, body: () => Promise<void>): Promise<void> {
  return runCommand(
    () =>
      body().catch((error: unknown) => {
        throw asCliError(error);
      }),
    json,
  );
}
