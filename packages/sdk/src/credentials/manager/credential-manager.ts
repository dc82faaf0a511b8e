import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { type LoadOptions, loadCredentialsFile, loadCredentialsObject, loadCredentialsYaml } from '../config/load.js';
import type { ValidatedCredential } from '../config/validate.js';
import { type CredentialConfigError, CredentialError } from '../errors.js';
import {
  type InteractiveLoginProvider,
  isInteractiveLoginProvider,
  type LoginCallback,
  type LoginStart,
} from '../providers/oauth2-auth-code.js';
import type {
  CredentialProvider,
  CredentialType,
  IssuedCredential,
  ObtainReason,
  OtpCallback,
  ProviderRuntime,
} from '../providers/provider.js';
import { PROVIDER_SPECS } from '../providers/registry.js';
import type { Secret } from '../secret.js';
import {
  backoffDelay,
  DEFAULT_RETRY,
  isUsable,
  plannedRefreshAt,
  type RetryPolicy,
  timerDelay,
} from './refresh-timing.js';

/** Options of a {@link CredentialManager}. Everything has a safe default. */
export interface CredentialManagerOptions {
  /** The fetch used for token endpoints and by {@link CredentialManager.fetch}. Default: global fetch. */
  fetch?: typeof globalThis.fetch;
  /** Timeout of one HTTP exchange with an authorization server, in ms. Default 10 000. */
  timeoutMs?: number;
  /** Retries of failed token requests. Callers wait for `attempts`; background refreshes retry until success. */
  retry?: Partial<RetryPolicy>;
  /** One-time password callback for `oauth2_password` credentials: one for all, or one per credential name. */
  otp?: OtpCallback | Readonly<Record<string, OtpCallback>>;
  /** Receives the URL of an interactive (loopback) login. Default: printed to stderr. */
  onAuthorizationUrl?: (url: string, credential: string) => void | Promise<void>;
  /** Opens a URL in a browser, for `open_browser: true`. Default: xdg-open / open / start. */
  openBrowser?: (url: string) => Promise<void>;
  /** Whether a loopback auth-code credential may start a login by itself when a token is needed. Default true. */
  interactive?: boolean;
  /** Whether refresh timers keep the process alive. Default false: a CLI exits when its work is done. */
  keepProcessAlive?: boolean;
  /** Environment for `${VAR}` interpolation (fromFile / fromYaml / constructor). Default: process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * Keep the valid credentials when some are invalid: each invalid one is reported here as its own error
   * (`issues[0]` names it) and using it throws that error. Default: any invalid credential fails the load.
   */
  onInvalidCredential?: (error: CredentialConfigError) => void;
  /** Clock and randomness, replaceable for tests. */
  now?: () => number;
  random?: () => number;
}

/** A credential as handed out: the token (or key) and its headers, still wrapped as Secrets. */
export interface CredentialSnapshot {
  readonly name: string;
  readonly type: CredentialType;
  readonly token: Secret;
  readonly headers: Readonly<Record<string, Secret>>;
  readonly expiresAt: Date | null;
}

/** Events of a {@link CredentialManager}. No event carries a secret; none is named `error`, so none can crash. */
export interface CredentialManagerEvents {
  /** A new token is in place (first acquisition, scheduled or forced refresh, login). */
  refreshed: [event: { credential: string; expiresAt: Date | null; reason: ObtainReason | 'login' }];
  /** A refresh failed. `retryInMs` is when the background will try again, or null when it will not. */
  refresh_failed: [event: { credential: string; error: CredentialError; attempt: number; retryInMs: number | null }];
  /** The current token reached its expiry without a successful refresh; the next use obtains a new one. */
  expired: [event: { credential: string; expiredAt: Date }];
}

interface CredentialSlot {
  provider: CredentialProvider;
  current: IssuedCredential | null;
  inflight: Promise<IssuedCredential> | null;
  refreshTimer: NodeJS.Timeout | null;
  expiryTimer: NodeJS.Timeout | null;
  /** Consecutive background refresh failures, for backoff. */
  failures: number;
}

/**
 * Holds named outbound credentials and hands out headers and tokens, refreshing OAuth 2.0 tokens ahead of
 * expiry with one request in flight per credential, retries with backoff and jitter, and events.
 *
 * Secrets stay in memory; the manager, its snapshots and its errors print without them.
 *
 * @example
 * const credentials = await CredentialManager.fromFile('credentials.yaml');
 * const response = await credentials.fetch('orders', 'https://orders.internal/v1/orders');
 * credentials.close();
 */
export class CredentialManager extends EventEmitter<CredentialManagerEvents> {
  readonly #slots = new Map<string, CredentialSlot>();
  /** Credentials left out by `onInvalidCredential`, with the error that using one throws. */
  readonly #invalid = new Map<string, CredentialConfigError>();
  readonly #runtime: ProviderRuntime;
  readonly #retry: RetryPolicy;
  readonly #random: () => number;
  readonly #keepAlive: boolean;
  readonly #sleepers = new Set<{ timer: NodeJS.Timeout; cancel: () => void }>();
  #closed = false;

  /**
   * @param config `{ credentials: {...} }` or the credentials map itself, as a YAML file would hold it.
   * @throws CredentialConfigError (code `config_invalid`) listing every invalid credential.
   */
  constructor(config: unknown, options: CredentialManagerOptions = {}) {
    super();
    const invalid = new Map<string, CredentialConfigError>();
    const validated = loadCredentialsObject(config, loadOptions(options, invalid));
    this.#runtime = buildRuntime(options);
    this.#retry = { ...DEFAULT_RETRY, ...options.retry };
    this.#random = options.random ?? Math.random;
    this.#keepAlive = options.keepProcessAlive === true;
    this.#install(validated, invalid);
  }

  /** Load a YAML credentials file. */
  static async fromFile(path: string, options: CredentialManagerOptions = {}): Promise<CredentialManager> {
    const invalid = new Map<string, CredentialConfigError>();
    const validated = await loadCredentialsFile(path, loadOptions(options, invalid));
    return CredentialManager.#fromValidated(validated, invalid, options);
  }

  /** Load YAML text of the file shape. */
  static fromYaml(text: string, options: CredentialManagerOptions = {}): CredentialManager {
    const invalid = new Map<string, CredentialConfigError>();
    const validated = loadCredentialsYaml(text, loadOptions(options, invalid));
    return CredentialManager.#fromValidated(validated, invalid, options);
  }

  static #fromValidated(
    validated: ValidatedCredential[],
    invalid: ReadonlyMap<string, CredentialConfigError>,
    options: CredentialManagerOptions,
  ): CredentialManager {
    const manager = new CredentialManager({}, options);
    manager.#install(validated, invalid);
    return manager;
  }

  #install(validated: ValidatedCredential[], invalid: ReadonlyMap<string, CredentialConfigError>): void {
    for (const [name, error] of invalid) this.#invalid.set(name, error);
    for (const { name, type, fields } of validated) {
      const provider = PROVIDER_SPECS[type].create(name, fields, this.#runtime);
      this.#slots.set(name, {
        provider,
        current: null,
        inflight: null,
        refreshTimer: null,
        expiryTimer: null,
        failures: 0,
      });
    }
  }

  /** Names of the configured credentials. */
  names(): string[] {
    return [...this.#slots.keys()];
  }

  /** The type of a credential. */
  typeOf(name: string): CredentialType {
    return this.#slot(name).provider.type;
  }

  /** The provider behind a name; for integrations (RabbitMQ) that need more than headers. */
  provider(name: string): CredentialProvider {
    return this.#slot(name).provider;
  }

  /** The current credential, obtaining or refreshing it first when needed. */
  async getCredential(name: string): Promise<CredentialSnapshot> {
    const slot = this.#slot(name);
    const current = slot.current && isUsable(slot.current, this.#runtime.now()) ? slot.current : null;
    const credential =
      current ?? (await this.#obtain(name, slot, slot.current ? 'expired' : 'initial', this.#retry.attempts));
    return snapshot(name, slot.provider.type, credential);
  }

  /** The token (OAuth 2.0 access token, API key, or Basic credential) as plain text. */
  async getToken(name: string): Promise<string> {
    return (await this.getCredential(name)).token.reveal();
  }

  /** The headers that carry the credential, as plain text, ready for any HTTP client. */
  async getHeaders(name: string): Promise<Record<string, string>> {
    const { headers } = await this.getCredential(name);
    return Object.fromEntries(Object.entries(headers).map(([header, value]) => [header, value.reveal()]));
  }

  /**
   * `fetch` with the credential's headers. On a 401 from a refreshable credential it forces one refresh and
   * retries once, provided the body can be sent again (none, string, bytes, URLSearchParams, FormData, Blob;
   * not a stream, and not a `Request` object, whose body is consumed by the first attempt).
   */
  async fetch(name: string, input: string | URL | Request, init: RequestInit = {}): Promise<Response> {
    const slot = this.#slot(name);
    const send = async () => {
      const headers = new Headers(input instanceof Request ? input.headers : undefined);
      for (const [key, value] of new Headers(init.headers)) headers.set(key, value);
      for (const [header, value] of Object.entries(await this.getHeaders(name))) headers.set(header, value);
      return this.#runtime.fetch(input, { ...init, headers });
    };
    const usedCredential = slot.current;
    const response = await send();
    if (response.status !== 401 || !slot.provider.refreshable || !isReplayable(init.body) || input instanceof Request) {
      return response;
    }
    await response.body?.cancel().catch(() => {});
    // Another caller may have refreshed while this request was out; only force a refresh if nobody did.
    if (slot.current === usedCredential || slot.current === null) {
      await this.#obtain(name, slot, 'forced', this.#retry.attempts);
    }
    return send();
  }

  /** Force a refresh now (single flight with any refresh already running). */
  async refresh(name: string): Promise<void> {
    const slot = this.#slot(name);
    await this.#obtain(name, slot, 'forced', this.#retry.attempts);
  }

  /** Run an interactive loopback login for an `oauth2_auth_code` credential and keep its token. */
  async login(name: string, options: { openBrowser?: boolean } = {}): Promise<CredentialSnapshot> {
    const { slot, provider } = this.#interactive(name);
    const credential = await provider.loginWithLoopback(options);
    this.#accept(name, slot, credential, 'login');
    return snapshot(name, provider.type, credential);
  }

  /** Start a server-mode login: redirect the user to the returned URL. */
  beginLogin(name: string): Promise<LoginStart> {
    return this.#interactive(name).provider.beginLogin();
  }

  /** Finish a server-mode login from the callback request's URL or parameters, and keep its token. */
  async completeLogin(name: string, callback: LoginCallback): Promise<CredentialSnapshot> {
    const { slot, provider } = this.#interactive(name);
    const credential = await provider.completeLogin(callback);
    this.#accept(name, slot, credential, 'login');
    return snapshot(name, provider.type, credential);
  }

  /** Stop every timer and pending retry. The manager cannot be used afterwards. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const slot of this.#slots.values()) this.#clearTimers(slot);
    for (const sleeper of this.#sleepers) {
      clearTimeout(sleeper.timer);
      sleeper.cancel();
    }
    this.#sleepers.clear();
  }

  /** Number of refresh and expiry timers running; 0 after close(). For tests and health checks. */
  activeTimers(): number {
    let count = this.#sleepers.size;
    for (const slot of this.#slots.values()) count += (slot.refreshTimer ? 1 : 0) + (slot.expiryTimer ? 1 : 0);
    return count;
  }

  override toString(): string {
    return `CredentialManager(${this.names().join(', ')})`;
  }

  toJSON(): Record<string, unknown> {
    return {
      credentials: Object.fromEntries(
        [...this.#slots].map(([name, slot]) => [
          name,
          { type: slot.provider.type, expiresAt: slot.current?.expiresAt ?? null },
        ]),
      ),
    };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `CredentialManager ${JSON.stringify(this.toJSON())}`;
  }

  #slot(name: string): CredentialSlot {
    if (this.#closed) throw new CredentialError('closed', 'the credential manager is closed', { credential: name });
    const slot = this.#slots.get(name);
    if (!slot) {
      const invalid = this.#invalid.get(name);
      if (invalid) throw invalid;
      const known = this.names();
      throw new CredentialError(
        'unknown_credential',
        `no credential named "${name.slice(0, 64)}" (configured: ${known.length > 0 ? known.join(', ') : 'none'})`,
        { credential: name },
      );
    }
    return slot;
  }

  #interactive(name: string): { slot: CredentialSlot; provider: InteractiveLoginProvider } {
    const slot = this.#slot(name);
    if (!isInteractiveLoginProvider(slot.provider)) {
      throw new CredentialError(
        'config_invalid',
        `credential "${name}" is ${slot.provider.type}; logins are for oauth2_auth_code`,
        {
          credential: name,
        },
      );
    }
    return { slot, provider: slot.provider };
  }

  /** Single flight: every caller during one acquisition shares its promise. */
  #obtain(name: string, slot: CredentialSlot, reason: ObtainReason, attempts: number): Promise<IssuedCredential> {
    if (slot.inflight) return slot.inflight;
    const run = async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          const credential = await slot.provider.obtain(slot.current, reason);
          this.#accept(name, slot, credential, reason);
          return credential;
        } catch (error) {
          const failure = asCredentialError(error, name);
          if (!failure.retryable || attempt >= attempts || this.#closed) throw failure;
          await this.#sleep(backoffDelay(attempt, this.#retry, this.#random));
          if (this.#closed)
            throw new CredentialError('closed', 'the credential manager is closed', { credential: name });
        }
      }
    };
    slot.inflight = run().finally(() => {
      slot.inflight = null;
    });
    return slot.inflight;
  }

  #accept(name: string, slot: CredentialSlot, credential: IssuedCredential, reason: ObtainReason | 'login'): void {
    if (this.#closed) return;
    slot.current = credential;
    slot.failures = 0;
    this.#schedule(name, slot);
    this.emit('refreshed', { credential: name, expiresAt: credential.expiresAt, reason });
  }

  #schedule(name: string, slot: CredentialSlot): void {
    this.#clearTimers(slot);
    const credential = slot.current;
    if (!credential || !slot.provider.refreshable) return;
    const now = this.#runtime.now();
    const refreshAt = plannedRefreshAt(credential, slot.provider.refreshPlan);
    if (refreshAt !== null) {
      slot.refreshTimer = this.#timer(
        () => {
          slot.refreshTimer = null;
          this.#backgroundRefresh(name, slot);
        },
        timerDelay(refreshAt, now),
      );
    }
    if (credential.expiresAt) {
      slot.expiryTimer = this.#timer(
        () => {
          slot.expiryTimer = null;
          if (slot.current !== credential) return;
          slot.current = null;
          this.emit('expired', { credential: name, expiredAt: credential.expiresAt! });
        },
        timerDelay(credential.expiresAt.getTime(), now, 0),
      );
    }
  }

  #backgroundRefresh(name: string, slot: CredentialSlot): void {
    if (this.#closed) return;
    // One attempt per timer tick; the backoff between ticks is the retry.
    this.#obtain(name, slot, 'scheduled', 1).catch((error: unknown) => {
      if (this.#closed) return;
      const failure = asCredentialError(error, name);
      slot.failures += 1;
      const retryInMs = failure.retryable ? backoffDelay(slot.failures, this.#retry, this.#random) : null;
      if (retryInMs !== null) {
        slot.refreshTimer = this.#timer(() => {
          slot.refreshTimer = null;
          this.#backgroundRefresh(name, slot);
        }, retryInMs);
      }
      this.emit('refresh_failed', { credential: name, error: failure, attempt: slot.failures, retryInMs });
    });
  }

  #timer(callback: () => void, delay: number): NodeJS.Timeout {
    const timer = setTimeout(callback, delay);
    if (!this.#keepAlive) timer.unref();
    return timer;
  }

  #clearTimers(slot: CredentialSlot): void {
    if (slot.refreshTimer) clearTimeout(slot.refreshTimer);
    if (slot.expiryTimer) clearTimeout(slot.expiryTimer);
    slot.refreshTimer = null;
    slot.expiryTimer = null;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const sleeper = {
        timer: setTimeout(() => {
          this.#sleepers.delete(sleeper);
          resolve();
        }, ms),
        cancel: resolve,
      };
      this.#sleepers.add(sleeper);
    });
  }
}

function snapshot(name: string, type: CredentialType, credential: IssuedCredential): CredentialSnapshot {
  const view: CredentialSnapshot = {
    name,
    type,
    token: credential.token,
    headers: credential.headers,
    expiresAt: credential.expiresAt,
  };
  return Object.freeze(view);
}

/** Anything a provider throws that is not a CredentialError is a bug or a library fault; keep its text out. */
function asCredentialError(error: unknown, credential: string): CredentialError {
  if (error instanceof CredentialError) return error;
  return new CredentialError(
    'internal_error',
    `credential "${credential}": unexpected failure (${error instanceof Error ? error.name : typeof error})`,
    { credential, cause: error },
  );
}

function isReplayable(body: RequestInit['body']): boolean {
  return (
    body === undefined ||
    body === null ||
    typeof body === 'string' ||
    body instanceof URLSearchParams ||
    body instanceof ArrayBuffer ||
    ArrayBuffer.isView(body) ||
    body instanceof Blob ||
    body instanceof FormData
  );
}

/** What the loader needs from the manager's options; invalid credentials it sets aside are collected in `invalid`. */
function loadOptions(options: CredentialManagerOptions, invalid: Map<string, CredentialConfigError>): LoadOptions {
  const report = options.onInvalidCredential;
  if (!report) return { env: options.env };
  return {
    env: options.env,
    onInvalidCredential: (error) => {
      invalid.set(error.issues[0]!.credential, error);
      report(error);
    },
  };
}

function buildRuntime(options: CredentialManagerOptions): ProviderRuntime {
  const otp = options.otp;
  return {
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    now: options.now ?? Date.now,
    timeoutMs: options.timeoutMs ?? 10_000,
    interactive: options.interactive !== false,
    otp: (credential) => (typeof otp === 'function' ? otp : otp?.[credential]),
    onAuthorizationUrl:
      options.onAuthorizationUrl ??
      ((url, credential) => {
        process.stderr.write(`To log in for credential "${credential}", open this URL in a browser:\n  ${url}\n`);
      }),
    openBrowser: options.openBrowser ?? openInBrowser,
  };
}

async function openInBrowser(url: string): Promise<void> {
  const [command, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', url]]
        : ['xdg-open', [url]];
  await new Promise<void>((resolve) => {
    // No shell: the URL is an argument, never parsed as a command line.
    const child = spawn(command as string, args as string[], { stdio: 'ignore', detached: true });
    child.once('error', () => resolve());
    child.once('spawn', () => {
      child.unref();
      resolve();
    });
  });
}
