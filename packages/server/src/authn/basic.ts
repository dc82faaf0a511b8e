import type { Principal } from '@warden/sdk';
import type { OAuthClientRecord } from '../clients/repository.js';
import { isClientId } from '../clients/secrets.js';
import { parseApiKey } from '../issue/api-key-format.js';
import type { PresentedCredential } from './presented.js';
import { type Authenticator, type AuthResult, denied } from './types.js';

/** What the Basic authenticator needs of the API key and client capabilities. */
export interface BasicAuthenticatorDeps {
  /** Verifies an API key, answering from its caches when it can (the API key authenticator's `verify`). */
  verifyApiKey(key: string): AuthResult | Promise<AuthResult>;
  /** Proves a client's secret: the client, or null (unknown, wrong secret, disabled). Rejects on a storage fault. */
  authenticateClient(clientId: string, secret: string): Promise<OAuthClientRecord | null>;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** `user:password` of a Basic credential (RFC 7617), or null when it does not decode to one. */
function userAndPassword(value: string): { user: string; password: string } | null {
  if (!BASE64.test(value)) return null;
  const bytes = Buffer.from(value, 'base64');
  // Node decodes leniently: only canonical base64 is accepted.
  if (bytes.toString('base64').replace(/=+$/, '') !== value.replace(/=+$/, '')) return null;
  const decoded = bytes.toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return null;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** A client proven by its secret, as a principal: the service account and what its tokens would carry. */
function clientPrincipal(client: OAuthClientRecord): Principal {
  return Object.freeze({
    subject: client.id,
    subjectType: 'service',
    tenant: client.tenant,
    admin: client.admin,
    roles: [...client.roles],
    scopes: [...client.scopes],
    metadata: {},
    credential: { kind: 'basic', id: client.id },
  } satisfies Principal);
}

/**
 * HTTP Basic for machine callers that can only send a user and a password (RFC 7617). The password is an API
 * key (with any user name that is not a client id), verified by the API key authenticator with its caches, so a repeated key costs what a
 * Bearer key costs; or a client secret with the client id as the user name, proven as the token endpoint proves it
 * (a digest, never a password hash, on the decision path). Passwords of people are not accepted here.
 */
export class BasicAuthenticator implements Authenticator {
  readonly kind = 'basic' as const;

  constructor(private readonly deps: BasicAuthenticatorDeps) {}

  accepts(credential: PresentedCredential): boolean {
    return credential.source === 'authorization' && credential.scheme === 'basic';
  }

  authenticate(credential: PresentedCredential): AuthResult | Promise<AuthResult> {
    const parts = userAndPassword('value' in credential ? credential.value : '');
    if (parts === null || parts.password === '') {
      return denied('malformed_credentials', 'Malformed credentials: Basic needs base64 of "user:password".');
    }
    // A client id as the user name means a client secret; anything else (an empty user, `apikey`...) an API key,
    // including a static key from config.
    if (parseApiKey(parts.password) !== null || !isClientId(parts.user)) return this.deps.verifyApiKey(parts.password);
    return this.deps
      .authenticateClient(parts.user, parts.password)
      .then((client) =>
        client === null
          ? denied('invalid_credentials', undefined, parts.user)
          : { ok: true, principal: clientPrincipal(client) },
      );
  }
}
