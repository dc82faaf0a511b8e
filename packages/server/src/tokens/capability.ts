import type { Capability, CapabilityContext } from '../capability.js';
import { JwtAuthenticator } from './jwt-authenticator.js';
import type { TokenVerifier } from './token-verifier.js';
import { VerifiedTokenCache } from './verified-tokens.js';
import { type VerificationKeys, WardenTokenVerifier } from './warden-token-verifier.js';

/** The access tokens capability: what `createAccessTokens` returns beyond every capability's parts. */
export interface AccessTokens extends Capability {
  /** JWTs verified in full and kept until their `exp`; revocation evicts Warden's own by jti. */
  readonly cache: VerifiedTokenCache;
}

export interface AccessTokensOptions {
  /** Warden's published signing keys (the signing-keys capability). */
  keys: VerificationKeys;
  /** Verifiers of the external issuers Warden trusts, one per issuer, besides its own. */
  externalVerifiers?: readonly TokenVerifier[];
}

/**
 * JWT verification on the decision path: the `jwt` authenticator (Bearer values shaped like a JWT), its cache of
 * verified tokens, and the verifier of Warden's own access tokens beside those of trusted external issuers. The
 * audiences accepted for Warden's tokens are `tokens.accepted_audiences`, or the issuer URL alone when that list
 * is empty.
 */
export function createAccessTokens(context: CapabilityContext, options: AccessTokensOptions): AccessTokens {
  const { config, now } = context;
  const cache = new VerifiedTokenCache(config.tokens.cache.max_entries, now);
  const audiences = config.tokens.accepted_audiences.length > 0 ? config.tokens.accepted_audiences : [config.issuer];
  const own = new WardenTokenVerifier(options.keys, {
    issuer: config.issuer,
    audiences,
    clockToleranceSeconds: Math.floor(config.tokens.clock_skew / 1000),
    now,
  });
  const external = options.externalVerifiers ?? [];
  if (external.some((verifier) => verifier.issuer === own.issuer)) {
    throw new Error(`issuers: ${own.issuer} is Warden's own issuer; its tokens are verified against its own keys`);
  }
  const authenticator = new JwtAuthenticator([own, ...external], cache);

  return {
    name: 'access_tokens',
    cache,
    authenticators: [authenticator],
    start() {},
    flush: async () => {},
    stop: async () => {
      cache.clear();
    },
  };
}
