import type { Capability } from '../capability.js';
import type { OAuthClients } from '../clients/capability.js';
import type { ApiKeys } from '../keys/capability.js';
import { BasicAuthenticator } from './basic.js';

/**
 * HTTP Basic on the decision path: an authenticator over two other capabilities (an API key or a client secret as
 * the password), with nothing of its own to start or store.
 */
export function createBasicAuth(deps: { apiKeys: ApiKeys; clients: OAuthClients }): Capability {
  const authenticator = new BasicAuthenticator({
    verifyApiKey: (key) => deps.apiKeys.verifyKey(key),
    authenticateClient: (clientId, secret) => deps.clients.authenticateClient(clientId, secret),
  });
  return {
    name: 'basic',
    authenticators: [authenticator],
    start() {},
    flush: async () => {},
    stop: async () => {},
  };
}
