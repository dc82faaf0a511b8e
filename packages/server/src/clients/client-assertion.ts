import { ASYMMETRIC_ALGORITHMS } from '@warden/sdk/verifier';
import { createLocalJWKSet, decodeJwt, type JWTPayload, errors as joseErrors, jwtVerify } from 'jose';
import type { AssertionReplayRepository } from './assertion-replay.js';
import type { ClientAuthentication } from './client-authentication.js';
import type { OAuthClientRecord, OAuthClientRepository } from './repository.js';
import { isClientId } from './secrets.js';

/** RFC 7523 section 2.2: the `client_assertion_type` of a JWT client assertion. */
export const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** An assertion longer than this is refused before it is parsed (a JWS of a few claims is well under 2 KiB). */
export const MAX_ASSERTION_LENGTH = 8_192;

/** An assertion may not live longer than this (`exp` - now): it is a one-time proof, not a credential. */
const MAX_ASSERTION_LIFETIME_SECONDS = 300;

export interface ClientAssertionVerifierOptions {
  repository: OAuthClientRepository;
  replay: AssertionReplayRepository;
  /** What `aud` may name: the issuer and the URLs of the endpoints clients authenticate at. */
  audiences: readonly string[];
  clockToleranceSeconds: number;
  now: () => number;
}

const refused = (clientId: string | null, message = 'Client authentication failed.'): ClientAuthentication => ({
  ok: false,
  reason: 'invalid_credentials',
  message,
  clientId,
});

/**
 * `private_key_jwt` (RFC 7523 section 2.2, OpenID Connect Core section 9): the client proves itself with a JWT
 * signed by one of its registered public keys: `iss` = `sub` = its client id, `aud` naming Warden (the issuer or
 * the endpoint's URL), a short `exp`, and a `jti` used once, remembered in the store until the assertion expires
 * so a replay fails on every instance. Only asymmetric algorithms, and only the algorithm of the key (jose
 * refuses a key used with another): never `none`, never HMAC.
 */
export class ClientAssertionVerifier {
  constructor(private readonly options: ClientAssertionVerifierOptions) {}

  async authenticate(assertion: string): Promise<ClientAuthentication> {
    if (assertion.length > MAX_ASSERTION_LENGTH) return refused(null, 'The client assertion is too large.');
    const claimed = claimedClientId(assertion);
    if (claimed === null) return refused(null);
    const client = await this.options.repository.findById(claimed);
    if (client === null || client.authMethod !== 'private_key_jwt' || client.jwks === null) return refused(claimed);
    const payload = await this.verified(client, assertion);
    if (payload === null) return refused(claimed);
    const expiresAt = payload.exp! * 1000;
    if (payload.exp! - Math.floor(this.options.now() / 1000) > MAX_ASSERTION_LIFETIME_SECONDS) {
      return refused(claimed, `The client assertion may live at most ${MAX_ASSERTION_LIFETIME_SECONDS} s.`);
    }
    if (!(await this.options.replay.firstUse(client.id, payload.jti!, expiresAt))) {
      return { ok: false, reason: 'replayed', message: 'The client assertion was used before.', clientId: claimed };
    }
    if (client.disabledAt !== null) {
      return { ok: false, reason: 'client_disabled', message: 'The client is disabled.', clientId: claimed };
    }
    return { ok: true, client };
  }

  private async verified(client: OAuthClientRecord, assertion: string): Promise<JWTPayload | null> {
    try {
      const { payload } = await jwtVerify(assertion, createLocalJWKSet(client.jwks!), {
        issuer: client.id,
        subject: client.id,
        audience: [...this.options.audiences],
        algorithms: [...ASYMMETRIC_ALGORITHMS],
        clockTolerance: this.options.clockToleranceSeconds,
        currentDate: new Date(this.options.now()),
        requiredClaims: ['exp', 'jti'],
      });
      return typeof payload.jti === 'string' && payload.jti.length > 0 && payload.jti.length <= 200 ? payload : null;
    } catch (error) {
      if (error instanceof joseErrors.JOSEError) return null;
      throw error;
    }
  }
}

/** The client id an assertion claims (its `sub`, which must equal `iss`), unverified: only to find the client. */
function claimedClientId(assertion: string): string | null {
  try {
    const { sub, iss } = decodeJwt(assertion);
    return typeof sub === 'string' && sub === iss && isClientId(sub) ? sub : null;
  } catch {
    return null;
  }
}
