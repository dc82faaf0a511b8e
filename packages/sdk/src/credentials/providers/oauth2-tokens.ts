import { decodeJwt } from 'jose';
import type { ParsedFields } from '../config/fields.js';
import { CredentialError } from '../errors.js';
import { OAuthClient } from '../oauth2/oauth-client.js';
import { checkOAuthCommon, OAUTH_COMMON_FIELDS, readOAuthSettings, readRefreshPlan } from '../oauth2/settings.js';
import { Secret } from '../secret.js';
import type { CredentialProvider, IssuedCredential, ProviderRuntime, ProviderSpec } from './provider.js';

/**
 * `oauth2_tokens`: an access token and refresh token obtained elsewhere (a user who logged in in a browser,
 * a device flow). The access token is used until it is due, then the refresh token keeps the session alive,
 * following rotation (each new refresh token replaces the old one in memory).
 */
export const tokensSpec: ProviderSpec = {
  type: 'oauth2_tokens',
  fields: {
    ...OAUTH_COMMON_FIELDS,
    access_token: { kind: 'secret' },
    refresh_token: { kind: 'secret' },
    expires_at: { kind: 'string' },
  },
  validCombinations: [
    'token_url | issuer + client_id + refresh_token (+ access_token, + expires_at) (public client)',
    'token_url | issuer + client_id + client_secret + refresh_token (+ access_token, + expires_at) (confidential client)',
    'an access_token alone is not enough: without refresh_token the session cannot be kept alive',
  ],
  checkCombination(fields: ParsedFields): string[] {
    const problems = checkOAuthCommon(fields, { secretRequired: false });
    if (fields['refresh_token'] === undefined) {
      problems.push(
        fields['access_token'] !== undefined
          ? 'missing refresh_token (an access_token alone expires and cannot be renewed)'
          : 'missing refresh_token',
      );
    }
    if (fields['expires_at'] !== undefined) {
      if (fields['access_token'] === undefined)
        problems.push('extra expires_at (it describes access_token, which is not set)');
      else if (Number.isNaN(Date.parse(fields['expires_at'] as string)))
        problems.push('expires_at must be an ISO 8601 date-time');
    }
    return problems;
  },
  create(name, fields, runtime) {
    return new PreAcquiredTokensProvider(name, fields, runtime);
  },
};

class PreAcquiredTokensProvider implements CredentialProvider {
  readonly type = 'oauth2_tokens' as const;
  readonly refreshable = true;
  readonly name: string;
  readonly refreshPlan;
  readonly #client: OAuthClient;
  readonly #runtime: ProviderRuntime;
  #initialAccessToken: Secret | null;
  readonly #initialExpiresAt: Date | null;
  #refreshToken: Secret;

  constructor(name: string, fields: ParsedFields, runtime: ProviderRuntime) {
    this.name = name;
    this.refreshPlan = readRefreshPlan(fields);
    this.#runtime = runtime;
    this.#initialAccessToken = (fields['access_token'] as Secret | undefined) ?? null;
    const expiresAt = fields['expires_at'] as string | undefined;
    this.#initialExpiresAt = expiresAt ? new Date(expiresAt) : null;
    this.#refreshToken = fields['refresh_token'] as Secret;
    this.#client = new OAuthClient(readOAuthSettings(name, fields, 'client_secret_basic'), runtime, () => [
      this.#refreshToken.reveal(),
    ]);
  }

  secretValues(): string[] {
    const values = [...this.#client.secretValues(), this.#refreshToken.reveal()];
    if (this.#initialAccessToken) values.push(this.#initialAccessToken.reveal());
    return values;
  }

  async obtain(previous: IssuedCredential | null): Promise<IssuedCredential> {
    const initial = this.#takeInitialAccessToken();
    if (initial && !previous) return initial;
    const refreshToken = previous?.refreshToken ?? this.#refreshToken;
    try {
      const issued = await this.#client.refresh(refreshToken);
      if (issued.refreshToken) this.#refreshToken = issued.refreshToken;
      return issued;
    } catch (error) {
      if (error instanceof CredentialError && error.code === 'invalid_grant') {
        throw new CredentialError(
          'invalid_grant',
          `credential "${this.name}": the refresh token was refused (expired, revoked or already used); log in again and replace it`,
          { credential: this.name, status: error.status, oauthError: error.oauthError, cause: error },
        );
      }
      throw error;
    }
  }

  /** The configured access token, once, if it is still usable; afterwards only refreshed tokens are served. */
  #takeInitialAccessToken(): IssuedCredential | null {
    const token = this.#initialAccessToken;
    if (!token) return null;
    this.#initialAccessToken = null;
    const now = this.#runtime.now();
    const expiresAt = this.#initialExpiresAt ?? jwtExpiry(token);
    if (expiresAt && expiresAt.getTime() <= now) return null;
    return {
      token,
      headers: { authorization: new Secret(`Bearer ${token.reveal()}`) },
      expiresAt,
      obtainedAt: new Date(now),
      refreshToken: this.#refreshToken,
      scope: null,
    };
  }
}

function jwtExpiry(token: Secret): Date | null {
  try {
    const { exp } = decodeJwt(token.reveal());
    return typeof exp === 'number' ? new Date(exp * 1000) : null;
  } catch {
    return null;
  }
}
