import type { ParsedFields } from '../config/fields.js';
import { CredentialError } from '../errors.js';
import { isLoopbackHost } from '../oauth2/http.js';
import { listenOnLoopback } from '../oauth2/loopback-listener.js';
import { OAuthClient } from '../oauth2/oauth-client.js';
import { PendingLogins } from '../oauth2/pending-logins.js';
import { createPkcePair, randomState } from '../oauth2/pkce.js';
import { checkOAuthCommon, OAUTH_COMMON_FIELDS, readOAuthSettings, readRefreshPlan } from '../oauth2/settings.js';
import type { Secret } from '../secret.js';
import type { CredentialProvider, IssuedCredential, ObtainReason, ProviderRuntime, ProviderSpec } from './provider.js';

const DEFAULT_LOOPBACK_REDIRECT = 'http://127.0.0.1:0/callback';
const DEFAULT_LOGIN_TIMEOUT_MS = 5 * 60_000;
/** RFC 9700 keeps codes short-lived; a pending login does not need to outlive that by much. */
const DEFAULT_PENDING_LOGIN_TTL_MS = 10 * 60_000;

/** A started server-mode login: send the user to `url`. */
export interface LoginStart {
  url: string;
  state: string;
  expiresAt: Date;
}

/** The parameters of a login callback: the full callback URL, its query string, or its parsed parameters. */
export type LoginCallback = string | URL | URLSearchParams | Record<string, string | undefined>;

/**
 * `oauth2_auth_code` (RFC 6749 §4.1 with PKCE, RFC 7636): a user's delegated token.
 * Two runtimes:
 * - `loopback` (CLIs, headless tools): a one-shot listener on 127.0.0.1 receives the redirect; the URL is
 *   handed to `onAuthorizationUrl` (printed by default) and opened in a browser when `open_browser` is true.
 * - `server`: the application routes the callback itself; `beginLogin` returns the URL and keeps state and
 *   verifier per pending login (single use, expiring), `completeLogin` finishes it.
 * After a login the refresh token keeps the credential alive.
 */
export const authCodeSpec: ProviderSpec = {
  type: 'oauth2_auth_code',
  fields: {
    ...OAUTH_COMMON_FIELDS,
    authorization_url: { kind: 'url' },
    redirect_uri: { kind: 'url' },
    mode: { kind: 'enum', values: ['loopback', 'server'] },
    pkce: { kind: 'boolean' },
    open_browser: { kind: 'boolean' },
    login_timeout: { kind: 'duration' },
    pending_login_ttl: { kind: 'duration' },
  },
  validCombinations: [
    'issuer | token_url + authorization_url, client_id, mode: loopback (default; redirect_uri optional, must be http://127.0.0.1|localhost|[::1][:port]/path)',
    'issuer | token_url + authorization_url, client_id, mode: server + redirect_uri (the application routes the callback)',
    'client authentication: none (public client, PKCE required) | client_secret | client_auth: private_key_jwt + private_key',
    'optional: scopes, audience, resource, pkce (true by default; false only with a confidential client), open_browser, login_timeout, pending_login_ttl',
  ],
  checkCombination(fields: ParsedFields): string[] {
    const problems = checkOAuthCommon(fields, { secretRequired: false, needsAuthorizationUrl: true });
    const mode = fields['mode'] ?? 'loopback';
    const redirect = fields['redirect_uri'] as URL | undefined;
    if (mode === 'server' && !redirect) problems.push('missing redirect_uri (mode is server)');
    if (mode === 'loopback' && redirect && (redirect.protocol !== 'http:' || !isLoopbackHost(redirect.hostname))) {
      problems.push(
        'redirect_uri must be http on 127.0.0.1, [::1] or localhost in loopback mode (or set mode: server)',
      );
    }
    if (mode === 'server') {
      if (fields['open_browser'] !== undefined) problems.push('extra open_browser (only for mode: loopback)');
      if (fields['login_timeout'] !== undefined) problems.push('extra login_timeout (only for mode: loopback)');
    } else if (fields['pending_login_ttl'] !== undefined) {
      problems.push('extra pending_login_ttl (only for mode: server)');
    }
    const confidential = fields['client_secret'] !== undefined || fields['client_auth'] === 'private_key_jwt';
    if (fields['pkce'] === false && !confidential) {
      problems.push('pkce: false is only allowed for a confidential client (public clients must use PKCE)');
    }
    return problems;
  },
  create(name, fields, runtime) {
    return new AuthorizationCodeProvider(name, fields, runtime);
  },
};

/** The runtime interface of `oauth2_auth_code` credentials, beyond {@link CredentialProvider}. */
export interface InteractiveLoginProvider extends CredentialProvider {
  readonly mode: 'loopback' | 'server';
  beginLogin(): Promise<LoginStart>;
  completeLogin(callback: LoginCallback): Promise<IssuedCredential>;
  loginWithLoopback(options?: { openBrowser?: boolean }): Promise<IssuedCredential>;
}

export function isInteractiveLoginProvider(provider: CredentialProvider): provider is InteractiveLoginProvider {
  return provider.type === 'oauth2_auth_code';
}

class AuthorizationCodeProvider implements InteractiveLoginProvider {
  readonly type = 'oauth2_auth_code' as const;
  readonly refreshable = true;
  readonly name: string;
  readonly refreshPlan;
  readonly mode: 'loopback' | 'server';
  readonly #client: OAuthClient;
  readonly #runtime: ProviderRuntime;
  readonly #redirectUri: URL;
  readonly #usePkce: boolean;
  readonly #openBrowser: boolean;
  readonly #loginTimeoutMs: number;
  readonly #pendingTtlMs: number;
  readonly #pending: PendingLogins;
  #refreshToken: Secret | null = null;

  constructor(name: string, fields: ParsedFields, runtime: ProviderRuntime) {
    this.name = name;
    this.refreshPlan = readRefreshPlan(fields);
    this.#runtime = runtime;
    this.mode = (fields['mode'] as 'loopback' | 'server' | undefined) ?? 'loopback';
    this.#redirectUri = (fields['redirect_uri'] as URL | undefined) ?? new URL(DEFAULT_LOOPBACK_REDIRECT);
    this.#usePkce = fields['pkce'] !== false;
    this.#openBrowser = fields['open_browser'] === true;
    this.#loginTimeoutMs = (fields['login_timeout'] as number | undefined) ?? DEFAULT_LOGIN_TIMEOUT_MS;
    this.#pendingTtlMs = (fields['pending_login_ttl'] as number | undefined) ?? DEFAULT_PENDING_LOGIN_TTL_MS;
    this.#pending = new PendingLogins(name);
    this.#client = new OAuthClient(readOAuthSettings(name, fields, 'client_secret_basic'), runtime, () =>
      this.#pending.secretValues(),
    );
  }

  secretValues(): string[] {
    const values = [...this.#client.secretValues(), ...this.#pending.secretValues()];
    if (this.#refreshToken) values.push(this.#refreshToken.reveal());
    return values;
  }

  async obtain(previous: IssuedCredential | null, reason: ObtainReason): Promise<IssuedCredential> {
    if (previous?.refreshToken) {
      try {
        return this.#remember(await this.#client.refresh(previous.refreshToken));
      } catch (error) {
        if (!(error instanceof CredentialError && error.code === 'invalid_grant')) throw error;
        if (this.mode === 'server')
          throw this.#loginRequired('the refresh token was refused; the user must log in again');
      }
    }
    // An interactive login needs someone at the keyboard: never start one from a background refresh.
    if (this.mode === 'loopback' && reason !== 'scheduled' && this.#runtime.interactive)
      return this.loginWithLoopback();
    throw this.#loginRequired(
      this.mode === 'loopback'
        ? 'no usable token; run login() (interactive logins are not started from background refreshes or with interactive: false)'
        : 'no token yet; start a login with beginLogin() and finish it with completeLogin()',
    );
  }

  async beginLogin(): Promise<LoginStart> {
    const { url, state, expiresAt } = await this.#prepareLogin(this.#redirectUri.href);
    return { url, state, expiresAt: new Date(expiresAt) };
  }

  async completeLogin(callback: LoginCallback): Promise<IssuedCredential> {
    const params = callbackParams(callback);
    const login = this.#pending.take(params.get('state'), this.#runtime.now());
    const error = params.get('error');
    if (error) {
      const description = params.get('error_description');
      throw new CredentialError(
        error === 'access_denied' ? 'access_denied' : 'login_required',
        `credential "${this.name}": the authorization server ended the login with ${error.slice(0, 60)}${description ? ` (${description.slice(0, 200)})` : ''}`,
        { credential: this.name, oauthError: error },
      );
    }
    const code = params.get('code');
    if (!code)
      throw new CredentialError('login_state_invalid', `credential "${this.name}": login callback has no code`, {
        credential: this.name,
      });
    const grant: Record<string, string> = { grant_type: 'authorization_code', code, redirect_uri: login.redirectUri };
    if (login.codeVerifier) grant['code_verifier'] = login.codeVerifier;
    return this.#remember(
      await this.#client.requestToken(grant, { grantDescription: 'authorization code grant', includeScope: false }),
    );
  }

  async loginWithLoopback(options: { openBrowser?: boolean } = {}): Promise<IssuedCredential> {
    const listener = await listenOnLoopback(this.name, this.#redirectUri, this.#loginTimeoutMs);
    try {
      const { url } = await this.#prepareLogin(listener.redirectUri.href);
      await this.#runtime.onAuthorizationUrl(url, this.name);
      if (options.openBrowser ?? this.#openBrowser) await this.#runtime.openBrowser(url);
      const params = await listener.callback;
      return await this.completeLogin(params);
    } finally {
      listener.close();
    }
  }

  async #prepareLogin(redirectUri: string): Promise<{ url: string; state: string; expiresAt: number }> {
    const endpoints = await this.#client.endpoints();
    if (!endpoints.authorization) {
      throw new CredentialError(
        'discovery_failed',
        `credential "${this.name}": the issuer publishes no authorization_endpoint`,
        {
          credential: this.name,
        },
      );
    }
    const state = randomState();
    const pkce = this.#usePkce ? createPkcePair() : null;
    const expiresAt = this.#runtime.now() + this.#pendingTtlMs;
    const url = new URL(endpoints.authorization.href);
    const { clientId, scopes, audience, resource } = this.#client.settings;
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('client_id', clientId);
    url.searchParams.set('redirect_uri', redirectUri);
    url.searchParams.set('state', state);
    if (scopes.length > 0) url.searchParams.set('scope', scopes.join(' '));
    if (audience) url.searchParams.set('audience', audience);
    for (const target of resource) url.searchParams.append('resource', target);
    if (pkce) {
      url.searchParams.set('code_challenge', pkce.challenge);
      url.searchParams.set('code_challenge_method', 'S256');
    }
    this.#pending.add({ state, codeVerifier: pkce?.verifier ?? null, redirectUri, expiresAt }, this.#runtime.now());
    return { url: url.href, state, expiresAt };
  }

  #remember(credential: IssuedCredential): IssuedCredential {
    this.#refreshToken = credential.refreshToken;
    return credential;
  }

  #loginRequired(reason: string): CredentialError {
    return new CredentialError('login_required', `credential "${this.name}": ${reason}`, { credential: this.name });
  }
}

function callbackParams(callback: LoginCallback): URLSearchParams {
  if (callback instanceof URLSearchParams) return callback;
  if (callback instanceof URL) return callback.searchParams;
  if (typeof callback === 'string') {
    const query = callback.includes('?') ? callback.slice(callback.indexOf('?') + 1) : callback;
    return new URLSearchParams(query.split('#')[0]);
  }
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(callback)) if (value !== undefined) params.set(key, value);
  return params;
}
