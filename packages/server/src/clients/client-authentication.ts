import type { ClientAssertionVerifier } from './client-assertion.js';
import { JWT_BEARER_ASSERTION } from './client-assertion.js';
import type { OAuthClientRecord, OAuthClientRepository, StoredSecret } from './repository.js';
import { clientSecretMatches, isClientId, unmatchableSecret } from './secrets.js';

/** Client credentials as a token request presented them, before anything is looked up. */
export type PresentedClient =
  | { method: 'client_secret_basic' | 'client_secret_post'; clientId: string; secret: string }
  | { method: 'private_key_jwt'; assertion: string };

/** The client assertion parameters of a request (RFC 7521 section 4.2), when it sent any. */
export interface PresentedAssertion {
  type: string | undefined;
  assertion: string | undefined;
}

/**
 * What a token request presents to authenticate its client (RFC 6749 section 2.3.1): nothing, something malformed
 * (a Basic header that does not decode), something ambiguous (two methods at once), or one client's credentials.
 * Messages never quote the request.
 */
export type ClientPresentation =
  | { kind: 'none' }
  | { kind: 'malformed'; reason: string }
  | { kind: 'ambiguous'; reason: string }
  | { kind: 'presented'; client: PresentedClient };

/** Undoes application/x-www-form-urlencoded (RFC 6749 appendix B): `+` is a space, then percent-decoding. */
function formDecode(value: string): string | null {
  try {
    return decodeURIComponent(value.replaceAll('+', ' '));
  } catch {
    return null;
  }
}

const BASIC_CREDENTIALS = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * The client id and secret of `Authorization: Basic base64(urlencode(id) ":" urlencode(secret))`: RFC 6749
 * section 2.3.1 form-urlencodes both before RFC 7617 joins them, so a secret may hold a colon.
 */
function basicCredentials(value: string): { clientId: string; secret: string } | { malformed: string } {
  const encoded = value.slice('basic'.length).trim();
  const bytes = BASIC_CREDENTIALS.test(encoded) ? Buffer.from(encoded, 'base64') : null;
  // Node decodes leniently (stray trailing characters are dropped): only canonical base64 is accepted.
  if (bytes === null || bytes.toString('base64').replace(/=+$/, '') !== encoded.replace(/=+$/, '')) {
    return { malformed: 'the Basic credentials are not base64' };
  }
  const decoded = bytes.toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return { malformed: 'the Basic credentials hold no colon between client id and secret' };
  const clientId = formDecode(decoded.slice(0, colon));
  const secret = formDecode(decoded.slice(colon + 1));
  if (clientId === null || secret === null) {
    return { malformed: 'the Basic credentials are not application/x-www-form-urlencoded' };
  }
  if (clientId.length === 0 || secret.length === 0)
    return { malformed: 'the Basic credentials lack a client id or a secret' };
  return { clientId, secret };
}

/**
 * Reads the client credentials of a token request: `Authorization: Basic` (client_secret_basic), `client_id`
 * and `client_secret` in the form body (client_secret_post), or a signed `client_assertion` (private_key_jwt),
 * exactly one of them. `authorization` is the header as received (an array when it was sent more than once);
 * `clientId`, `clientSecret` and `assertion` are the body parameters.
 */
export function presentedClient(
  authorization: string | string[] | undefined,
  clientId: string | undefined,
  clientSecret: string | undefined,
  assertion: PresentedAssertion = { type: undefined, assertion: undefined },
): ClientPresentation {
  if (assertion.type !== undefined || assertion.assertion !== undefined) {
    return presentedAssertion(authorization, clientSecret, assertion);
  }
  if (Array.isArray(authorization)) {
    if (authorization.length !== 1) return { kind: 'ambiguous', reason: 'the Authorization header was sent twice' };
    authorization = authorization[0];
  }
  const header = authorization?.trim() ?? '';
  if (header !== '') {
    if (!/^basic(\s|$)/i.test(header)) {
      return { kind: 'malformed', reason: 'authenticate the client with client_secret_basic or client_secret_post' };
    }
    if (clientSecret !== undefined) {
      return {
        kind: 'ambiguous',
        reason: 'the client authenticated twice (Basic and client_secret): use one method per request',
      };
    }
    const basic = basicCredentials(header);
    if ('malformed' in basic) return { kind: 'malformed', reason: basic.malformed };
    if (clientId !== undefined && clientId !== basic.clientId) {
      return { kind: 'ambiguous', reason: 'client_id in the body is not the client of the Authorization header' };
    }
    return { kind: 'presented', client: { method: 'client_secret_basic', ...basic } };
  }
  if (clientId === undefined && clientSecret === undefined) return { kind: 'none' };
  if (clientId === undefined || clientSecret === undefined) {
    return { kind: 'malformed', reason: 'client_secret_post needs both client_id and client_secret' };
  }
  return { kind: 'presented', client: { method: 'client_secret_post', clientId, secret: clientSecret } };
}

/** A `client_assertion` (private_key_jwt), alone: with Basic or a secret too, the request is ambiguous. */
function presentedAssertion(
  authorization: string | string[] | undefined,
  clientSecret: string | undefined,
  { type, assertion }: PresentedAssertion,
): ClientPresentation {
  if (authorization !== undefined || clientSecret !== undefined) {
    return { kind: 'ambiguous', reason: 'the client authenticated twice: use one method per request' };
  }
  if (type !== JWT_BEARER_ASSERTION) {
    return { kind: 'malformed', reason: `client_assertion_type must be ${JWT_BEARER_ASSERTION}` };
  }
  if (assertion === undefined) return { kind: 'malformed', reason: 'client_assertion is missing' };
  return { kind: 'presented', client: { method: 'private_key_jwt', assertion } };
}

/** Why a presented client was refused: all `invalid_client` on the wire. */
export type ClientRefusal = 'invalid_credentials' | 'client_disabled' | 'auth_method_mismatch' | 'replayed';

export type ClientAuthentication =
  | { ok: true; client: OAuthClientRecord }
  | {
      ok: false;
      reason: ClientRefusal;
      /** Safe to show the caller: it says more than "failed" only once the caller proved it holds the secret. */
      message: string;
      /** The presented id when it has the shape of a client id (for the audit record); else null. */
      clientId: string | null;
    };

export interface ClientAuthenticatorOptions {
  repository: OAuthClientRepository;
  pepper: Buffer;
  now: () => number;
  /** Verifies private_key_jwt assertions. */
  assertions: ClientAssertionVerifier;
  /** Compares a presented secret with a stored digest; tests wrap the real one to count the comparisons. */
  secretMatches?: (stored: StoredSecret, presented: string) => boolean;
}

/**
 * Authenticates a client at the token endpoint. Every attempt costs the same: one lookup when the id has a client
 * id's shape, and two digest comparisons (the current secret and the previous one), against a digest no secret
 * matches when there is no client or no previous secret in its overlap window. So an unknown id, a wrong secret
 * and a disabled client take the same time; the secret is proven before the client's state is looked at, and only
 * a caller that proved it learns that the client is disabled or registered for another method.
 */
export class ClientAuthenticator {
  private readonly unmatchable: StoredSecret;
  private readonly secretMatches: (stored: StoredSecret, presented: string) => boolean;

  constructor(private readonly options: ClientAuthenticatorOptions) {
    this.unmatchable = unmatchableSecret(options.pepper);
    this.secretMatches =
      options.secretMatches ?? ((stored, presented) => clientSecretMatches(options.pepper, stored, presented));
  }

  /** A refusal is a value; only a storage fault rejects. */
  async authenticate(presented: PresentedClient): Promise<ClientAuthentication> {
    if (presented.method === 'private_key_jwt') return this.options.assertions.authenticate(presented.assertion);
    const wellFormed = isClientId(presented.clientId);
    const client = wellFormed ? await this.options.repository.findById(presented.clientId) : null;
    const now = this.options.now();
    const previous = client?.previousSecret && client.previousSecret.expiresAt > now ? client.previousSecret : null;
    // Both comparisons always run (no short-circuit), whatever the first one says.
    const matchesCurrent = this.secretMatches(client?.secret ?? this.unmatchable, presented.secret);
    const matchesPrevious = this.secretMatches(previous ?? this.unmatchable, presented.secret);
    const clientId = wellFormed ? presented.clientId : null;
    if (client === null || !(matchesCurrent || matchesPrevious)) {
      return { ok: false, reason: 'invalid_credentials', message: 'Client authentication failed.', clientId };
    }
    if (client.disabledAt !== null) {
      return { ok: false, reason: 'client_disabled', message: 'The client is disabled.', clientId };
    }
    if (client.authMethod !== presented.method) {
      return {
        ok: false,
        reason: 'auth_method_mismatch',
        message: `The client is registered to authenticate with ${client.authMethod}.`,
        clientId,
      };
    }
    return { ok: true, client };
  }
}
