import type { ParsedFields } from '../config/fields.js';
import { OAuthClient } from '../oauth2/oauth-client.js';
import {
  CLIENT_AUTH_COMBINATIONS,
  checkOAuthCommon,
  OAUTH_COMMON_FIELDS,
  readOAuthSettings,
  readRefreshPlan,
} from '../oauth2/settings.js';
import type { CredentialProvider, ProviderSpec } from './provider.js';

/**
 * `oauth2_client_credentials` (RFC 6749 §4.4): a service's own token. There is no refresh token; each refresh
 * is a new client credentials grant.
 */
export const clientCredentialsSpec: ProviderSpec = {
  type: 'oauth2_client_credentials',
  fields: OAUTH_COMMON_FIELDS,
  validCombinations: [
    `token_url | issuer + client_id + ${CLIENT_AUTH_COMBINATIONS[0]}`,
    `token_url | issuer + client_id + ${CLIENT_AUTH_COMBINATIONS[1]}`,
    'optional everywhere: scopes, audience, resource, refresh_fraction | refresh_interval, timeout',
  ],
  checkCombination(fields: ParsedFields): string[] {
    const problems = checkOAuthCommon(fields, { secretRequired: true });
    if (fields['client_auth'] === 'none')
      problems.push('client_auth none is not allowed: the client credentials grant needs a confidential client');
    return problems;
  },
  create(name, fields, runtime): CredentialProvider {
    const client = new OAuthClient(readOAuthSettings(name, fields, 'client_secret_basic'), runtime);
    return {
      name,
      type: 'oauth2_client_credentials',
      refreshable: true,
      refreshPlan: readRefreshPlan(fields),
      obtain: () =>
        client.requestToken({ grant_type: 'client_credentials' }, { grantDescription: 'client credentials grant' }),
      secretValues: () => client.secretValues(),
    };
  },
};
