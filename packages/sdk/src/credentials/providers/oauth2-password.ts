import type { ParsedFields } from '../config/fields.js';
import { CredentialError } from '../errors.js';
import { OAuthClient } from '../oauth2/oauth-client.js';
import { classifyOtpAnswer } from '../oauth2/otp.js';
import { checkOAuthCommon, OAUTH_COMMON_FIELDS, readOAuthSettings, readRefreshPlan } from '../oauth2/settings.js';
import type { Secret } from '../secret.js';
import type { CredentialProvider, IssuedCredential, ProviderRuntime, ProviderSpec } from './provider.js';

/** How many codes the OTP callback may give before the login fails with otp_invalid. */
const DEFAULT_OTP_ATTEMPTS = 3;

/**
 * `oauth2_password` (RFC 6749 §4.3, where a deployment enables it): a user's username and password, with
 * one-time-password support. Refreshes with the refresh token when there is one and falls back to a new
 * password grant when the refresh token is refused (the server ended the session).
 */
export const passwordSpec: ProviderSpec = {
  type: 'oauth2_password',
  fields: {
    ...OAUTH_COMMON_FIELDS,
    username: { kind: 'string' },
    password: { kind: 'secret' },
    otp_parameter: { kind: 'string' },
    otp_attempts: { kind: 'integer', min: 1, max: 10 },
  },
  validCombinations: [
    'token_url | issuer + client_id + username + password (public client)',
    'token_url | issuer + client_id + client_secret + username + password (confidential client)',
    'optional: otp_parameter (form field of the code, default otp; Keycloak takes totp), otp_attempts, scopes, audience, resource, refresh_fraction | refresh_interval',
  ],
  checkCombination(fields: ParsedFields): string[] {
    const problems = checkOAuthCommon(fields, { secretRequired: false });
    if (fields['username'] === undefined) problems.push('missing username');
    if (fields['password'] === undefined) problems.push('missing password');
    return problems;
  },
  create(name, fields, runtime) {
    return new PasswordGrantProvider(name, fields, runtime);
  },
};

class PasswordGrantProvider implements CredentialProvider {
  readonly type = 'oauth2_password' as const;
  readonly refreshable = true;
  readonly name: string;
  readonly refreshPlan;
  readonly #client: OAuthClient;
  readonly #runtime: ProviderRuntime;
  readonly #username: string;
  readonly #password: Secret;
  readonly #otpParameter: string;
  readonly #otpAttempts: number;
  /** Refresh tokens seen, for scrubbing echoes out of error texts. */
  #lastRefreshToken: Secret | null = null;

  constructor(name: string, fields: ParsedFields, runtime: ProviderRuntime) {
    this.name = name;
    this.refreshPlan = readRefreshPlan(fields);
    this.#runtime = runtime;
    this.#username = fields['username'] as string;
    this.#password = fields['password'] as Secret;
    this.#otpParameter = (fields['otp_parameter'] as string | undefined) ?? 'otp';
    this.#otpAttempts = (fields['otp_attempts'] as number | undefined) ?? DEFAULT_OTP_ATTEMPTS;
    this.#client = new OAuthClient(readOAuthSettings(name, fields, 'client_secret_basic'), runtime, () => [
      this.#password.reveal(),
    ]);
  }

  secretValues(): string[] {
    const values = [...this.#client.secretValues(), this.#password.reveal()];
    if (this.#lastRefreshToken) values.push(this.#lastRefreshToken.reveal());
    return values;
  }

  async obtain(previous: IssuedCredential | null): Promise<IssuedCredential> {
    if (previous?.refreshToken) {
      try {
        return this.#remember(await this.#client.refresh(previous.refreshToken));
      } catch (error) {
        // The session ended server-side; the password is still here, so log in again instead of failing.
        if (!(error instanceof CredentialError && error.code === 'invalid_grant')) throw error;
      }
    }
    return this.#remember(await this.#login());
  }

  #remember(credential: IssuedCredential): IssuedCredential {
    this.#lastRefreshToken = credential.refreshToken;
    return credential;
  }

  async #login(): Promise<IssuedCredential> {
    const grant = { grant_type: 'password', username: this.#username, password: this.#password.reveal() };
    try {
      return await this.#client.requestToken(grant, {
        grantDescription: 'password grant',
        classify: (answer) => {
          const verdict = classifyOtpAnswer(answer, false);
          if (verdict === 'otp_required')
            return this.#otpError('otp_required', 'the server requires a one-time password');
          if (answer.error === 'invalid_grant') {
            return new CredentialError(
              'invalid_grant',
              `credential "${this.name}": wrong username or password (invalid_grant)`,
              {
                credential: this.name,
                status: answer.status,
                oauthError: answer.error,
              },
            );
          }
          return undefined;
        },
      });
    } catch (error) {
      if (!(error instanceof CredentialError && error.code === 'otp_required')) throw error;
      return this.#loginWithOtp(grant, error);
    }
  }

  async #loginWithOtp(grant: Record<string, string>, required: CredentialError): Promise<IssuedCredential> {
    const callback = this.#runtime.otp(this.name);
    if (!callback) {
      throw this.#otpError('otp_required', 'the server requires a one-time password and no otp callback is configured');
    }
    let lastError: CredentialError = required;
    for (let attempt = 1; attempt <= this.#otpAttempts; attempt++) {
      const code = await callback({ credential: this.name, attempt });
      if (code === undefined || code === '') {
        // Giving up after a rejected code: the rejection is the more useful answer.
        if (attempt > 1) throw lastError;
        throw this.#otpError('otp_required', 'the server requires a one-time password and the otp callback gave none');
      }
      try {
        return await this.#client.requestToken(
          { ...grant, [this.#otpParameter]: code },
          {
            grantDescription: 'password grant with one-time password',
            classify: (answer) =>
              classifyOtpAnswer(answer, true) === 'otp_invalid'
                ? this.#otpError(
                    'otp_invalid',
                    'the one-time password was rejected (wrong or expired)',
                    answer.status,
                    answer.error,
                  )
                : undefined,
          },
        );
      } catch (error) {
        if (!(error instanceof CredentialError && error.code === 'otp_invalid')) throw error;
        lastError = error;
      }
    }
    throw lastError;
  }

  #otpError(
    code: 'otp_required' | 'otp_invalid',
    reason: string,
    status?: number,
    oauthError?: string,
  ): CredentialError {
    return new CredentialError(code, `credential "${this.name}": ${reason}`, {
      credential: this.name,
      status,
      oauthError,
    });
  }
}
