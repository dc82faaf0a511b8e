import { createVerifier, type Verifier } from '@warden/sdk/verifier';
import type { Capability, CapabilityContext } from '../capability.js';
import type { WardenConfig } from '../config/schema.js';
import type { TokenVerifier } from '../tokens/token-verifier.js';
import { ExternalTokenVerifier } from './external-token-verifier.js';

/** The trusted external issuers: one verifier each, handed to the access tokens capability. */
export interface TrustedIssuers extends Capability {
  readonly verifiers: readonly TokenVerifier[];
}

/** The SDK verifier of one configured issuer (config `issuers[]`): the schema already refused unsafe entries. */
export function issuerVerifier(entry: WardenConfig['issuers'][number], now: () => number): Verifier {
  return createVerifier({
    issuer: entry.issuer,
    ...(entry.jwks_uri === undefined ? {} : { jwksUri: entry.jwks_uri }),
    audience: entry.audience,
    algorithms: entry.algorithms,
    typ: entry.typ,
    clockSkew: entry.clock_skew,
    ...(entry.max_token_age === undefined ? {} : { maxTokenAge: entry.max_token_age }),
    claims: {
      subject: entry.claims.subject,
      ...(entry.claims.tenant === undefined ? {} : { tenant: entry.claims.tenant }),
      roles: entry.claims.roles,
      scopes: entry.claims.scopes,
      admin: {
        ...(entry.claims.admin_role === undefined ? {} : { role: entry.claims.admin_role }),
        ...(entry.claims.admin_claim === undefined ? {} : { claim: entry.claims.admin_claim }),
      },
      ...(entry.subject_type === undefined ? {} : { subjectType: entry.subject_type }),
    },
    fetchTimeout: entry.jwks.timeout,
    cooldown: entry.jwks.cooldown,
    cacheMaxAge: entry.jwks.max_age,
    staleIfError: entry.jwks.stale_if_error,
    allowInsecureHttp: entry.allow_insecure_http,
    now,
  });
}

/**
 * External OIDC issuers (config `issuers`) whose JWT access tokens Warden accepts beside its own. It has no
 * authenticator of its own: the `jwt` authenticator of the access tokens capability picks a verifier by the
 * token's `iss`, and caches what they verify until the token's `exp`. Starting it fetches every issuer's keys in
 * the background, so the first token does not wait for them; an issuer that cannot be reached then is only
 * logged: its tokens are 503 until it can.
 */
export function createTrustedIssuers(context: CapabilityContext): TrustedIssuers {
  const verifiers = context.config.issuers.map((entry) => issuerVerifier(entry, context.now));
  return {
    name: 'issuers',
    authenticators: [],
    verifiers: verifiers.map((verifier) => new ExternalTokenVerifier(verifier)),
    start() {
      for (const verifier of verifiers) {
        void verifier.prefetch().then((fetched) => {
          if (!fetched)
            context.logger.warn({ issuer: verifier.issuer }, 'the keys of a trusted issuer could not be fetched');
        });
      }
    },
    flush: async () => {},
    stop: async () => {},
  };
}
