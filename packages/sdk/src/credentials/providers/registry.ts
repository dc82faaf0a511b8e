import { apiKeySpec } from './api-key.js';
import { basicSpec } from './basic.js';
import { authCodeSpec } from './oauth2-auth-code.js';
import { clientCredentialsSpec } from './oauth2-client-credentials.js';
import { passwordSpec } from './oauth2-password.js';
import { tokensSpec } from './oauth2-tokens.js';
import type { CredentialType, ProviderSpec } from './provider.js';

/** Every credential type, by its `type` name in the configuration. */
export const PROVIDER_SPECS: Readonly<Record<CredentialType, ProviderSpec>> = Object.freeze({
  api_key: apiKeySpec,
  basic: basicSpec,
  oauth2_client_credentials: clientCredentialsSpec,
  oauth2_password: passwordSpec,
  oauth2_auth_code: authCodeSpec,
  oauth2_tokens: tokensSpec,
});
