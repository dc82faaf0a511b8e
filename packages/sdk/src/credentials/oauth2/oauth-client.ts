import { CredentialError, type CredentialErrorCode } from '../errors.js';
import type { IssuedCredential, ProviderRuntime } from '../providers/provider.js';
import { type Secret, scrubSecrets } from '../secret.js';
import { ClientAuthenticator } from './client-auth.js';
import { type AuthorizationServerMetadata, discoverMetadata } from './discovery.js';
import { describeUnexpectedBody, exchange, type HttpAnswer, type HttpContext, isLoopbackHost } from './http.js';
import type { OAuthSettings } from './settings.js';
import { readTokenResponse } from './token-response.js';

/** An RFC 6749 §5.2 error answer from the token endpoint. */
export interface OAuthErrorAnswer {
  status: number;
  error: string;
  description: string | undefined;
  body: Record<string, unknown>;
}

/** Lets a grant turn a specific error answer into its own error (e.g. the password grant's OTP answers). */
export type ErrorClassifier = (answer: OAuthErrorAnswer) => CredentialError | undefined;

export interface ResolvedEndpoints {
  issuer: string | null;
  token: URL;
  authorization: URL | null;
}

const OAUTH_ERROR_CODES: Record<string, CredentialErrorCode> = {
  invalid_grant: 'invalid_grant',
  invalid_client: 'invalid_client',
  unauthorized_client: 'unauthorized_client',
  unsupported_grant_type: 'unauthorized_client',
  invalid_scope: 'invalid_scope',
  invalid_target: 'invalid_scope',
  invalid_request: 'invalid_request',
  access_denied: 'access_denied',
};

/**
 * One OAuth 2.0 client: endpoint resolution (configured or discovered), client authentication, and token
 * requests with errors that say what happened in words and codes, never with a secret in them.
 */
export class OAuthClient {
  readonly settings: OAuthSettings;
  readonly #runtime: ProviderRuntime;
  readonly #auth: ClientAuthenticator;
  readonly #extraSecrets: () => string[];
  #endpoints: Promise<ResolvedEndpoints> | null = null;

  constructor(settings: OAuthSettings, runtime: ProviderRuntime, extraSecrets: () => string[] = () => []) {
    this.settings = settings;
    this.#runtime = runtime;
    this.#auth = new ClientAuthenticator(settings);
    this.#extraSecrets = extraSecrets;
  }

  /** Every secret of the client itself (not its tokens). */
  secretValues(): string[] {
    const values: string[] = [];
    if (this.settings.clientSecret) values.push(this.settings.clientSecret.reveal());
    if (this.settings.privateKey) values.push(this.settings.privateKey.reveal());
    return values;
  }

  httpContext(): HttpContext {
    return {
      credential: this.settings.credential,
      fetch: this.#runtime.fetch,
      timeoutMs: this.settings.timeoutMs ?? this.#runtime.timeoutMs,
      secrets: () => [...this.secretValues(), ...this.#extraSecrets()],
    };
  }

  /** Token and authorization endpoints; discovery runs once and is retried after a failure. */
  endpoints(): Promise<ResolvedEndpoints> {
    this.#endpoints ??= this.#resolveEndpoints().catch((error: unknown) => {
      this.#endpoints = null;
      throw error;
    });
    return this.#endpoints;
  }

  async #resolveEndpoints(): Promise<ResolvedEndpoints> {
    const { issuer, tokenUrl, authorizationUrl } = this.settings;
    if (!issuer) return { issuer: null, token: tokenUrl!, authorization: authorizationUrl };
    const metadata = await discoverMetadata(this.httpContext(), issuer);
    return {
      issuer: metadata.issuer,
      token: this.#checkedEndpoint(metadata, 'token_endpoint')!,
      authorization: this.#checkedEndpoint(metadata, 'authorization_endpoint'),
    };
  }

  #checkedEndpoint(
    metadata: AuthorizationServerMetadata,
    field: 'token_endpoint' | 'authorization_endpoint',
  ): URL | null {
    const value = metadata[field];
    if (value === undefined) return null;
    const fail = (reason: string) =>
      new CredentialError(
        'discovery_failed',
        `credential "${this.settings.credential}": discovered ${field} ${reason}`,
        {
          credential: this.settings.credential,
        },
      );
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw fail('is not a URL');
    }
    if (
      url.protocol !== 'https:' &&
      !(url.protocol === 'http:' && (isLoopbackHost(url.hostname) || this.settings.allowInsecureHttp))
    ) {
      throw fail(`uses ${url.protocol} on a non-loopback host (set allow_insecure_http: true for a test setup)`);
    }
    return url;
  }

  /**
   * POST a grant to the token endpoint. `grantDescription` names it in errors ("client credentials grant").
   * Scope, audience and resource are added here so every grant sends them the same way.
   */
  /** The refresh token grant (RFC 6749 §6): a new access token, and a new refresh token where the server rotates. */
  refresh(refreshToken: Secret): Promise<IssuedCredential> {
    return this.requestToken(
      { grant_type: 'refresh_token', refresh_token: refreshToken.reveal() },
      { grantDescription: 'refresh token grant', previousRefreshToken: refreshToken, includeScope: false },
    );
  }

  async requestToken(
    grant: Record<string, string>,
    options: {
      grantDescription: string;
      previousRefreshToken?: Secret | null;
      classify?: ErrorClassifier;
      includeScope?: boolean;
    },
  ): Promise<IssuedCredential> {
    const endpoints = await this.endpoints();
    const params = new URLSearchParams(grant);
    const { scopes, audience, resource } = this.settings;
    if (options.includeScope !== false && scopes.length > 0) params.set('scope', scopes.join(' '));
    if (audience) params.set('audience', audience);
    for (const target of resource) params.append('resource', target);
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    };
    await this.#auth.apply(params, headers, endpoints.issuer ?? endpoints.token.href);
    const context = this.httpContext();
    const answer = await exchange(context, 'token endpoint', endpoints.token, {
      method: 'POST',
      headers,
      body: params,
    });
    if (answer.status === 200 && answer.json && typeof answer.json === 'object') {
      return readTokenResponse(
        this.settings.credential,
        answer,
        this.#runtime.now(),
        options.previousRefreshToken ?? null,
      );
    }
    throw this.#errorFor(answer, endpoints.token, options, context.secrets());
  }

  #errorFor(
    answer: HttpAnswer,
    tokenUrl: URL,
    options: { grantDescription: string; classify?: ErrorClassifier },
    secrets: string[],
  ): CredentialError {
    const credential = this.settings.credential;
    const where = `${tokenUrl.origin}${tokenUrl.pathname}`;
    const body = answer.json as Record<string, unknown> | undefined;
    if (!body || typeof body !== 'object' || typeof body['error'] !== 'string') {
      const what = answer.status === 200 ? 'a success status but' : `HTTP ${answer.status} with`;
      return new CredentialError(
        answer.status >= 500 || answer.status === 429 ? 'token_endpoint_error' : 'invalid_response',
        `credential "${credential}": token endpoint ${where} answered ${what} ${describeUnexpectedBody(answer, secrets)} to the ${options.grantDescription}`,
        { credential, status: answer.status },
      );
    }
    const description = typeof body['error_description'] === 'string' ? body['error_description'] : undefined;
    const errorAnswer: OAuthErrorAnswer = { status: answer.status, error: body['error'] as string, description, body };
    const classified = options.classify?.(errorAnswer);
    if (classified) return classified;
    const code = OAUTH_ERROR_CODES[errorAnswer.error] ?? 'token_endpoint_error';
    const detail = description ? ` (${scrubSecrets(description.slice(0, 300), secrets)})` : '';
    return new CredentialError(
      code,
      `credential "${credential}": token endpoint refused the ${options.grantDescription}: ${scrubSecrets(errorAnswer.error.slice(0, 80), secrets)}${detail}`,
      { credential, status: answer.status, oauthError: errorAnswer.error },
    );
  }
}
