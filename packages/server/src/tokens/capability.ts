import { denied } from '../authn/types.js';
import type { Capability, CapabilityContext } from '../capability.js';
import { JwtAuthenticator } from './jwt-authenticator.js';
import { RevokedTokenRepository, RevokedTokens } from './revoked-tokens.js';
import type { TokenRejection, TokenVerifier, VerifiedToken } from './token-verifier.js';
import { VerifiedTokenCache } from './verified-tokens.js';
import { type VerificationKeys, WardenTokenVerifier } from './warden-token-verifier.js';

/** The access tokens capability: what `createAccessTokens` returns beyond every capability's parts. */
export interface AccessTokens extends Capability {
  /** JWTs verified in full and kept until their `exp`; revocation evicts Warden's own by jti. */
  readonly cache: VerifiedTokenCache;
  /** The jti deny-list: revoking a Warden access token before its `exp` (RFC 7009, refresh token reuse). */
  readonly revocations: RevokedTokens;
  /** Verifies one of Warden's own access tokens in full, deny-list included (for introspection). */
  verifyOwnToken(token: string): Promise<VerifiedToken | TokenRejection>;
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
  const { config, database, now, reportFault } = context;
  const cache = new VerifiedTokenCache(config.tokens.cache.max_entries, now);
  const revocations = new RevokedTokens({
    repository: new RevokedTokenRepository(database.db),
    intervalMs: config.tokens.revocation.poll_interval,
    now,
    onRevoked: (jti) => cache.evictJti(jti),
    onError: (error) => reportFault('token revocation poll', error),
  });
  const audiences = config.tokens.accepted_audiences.length > 0 ? config.tokens.accepted_audiences : [config.issuer];
  const verifierOptions = {
    issuer: config.issuer,
    audiences,
    clockToleranceSeconds: Math.floor(config.tokens.clock_skew / 1000),
    now,
  };
  const own = new WardenTokenVerifier(options.keys, verifierOptions);
  // Introspection answers for a token of any audience: the caller is a trusted daemon asking about a token.
  const anyAudience = new WardenTokenVerifier(options.keys, { ...verifierOptions, audiences: [] });
  const external = options.externalVerifiers ?? [];
  if (external.some((verifier) => verifier.issuer === own.issuer)) {
    throw new Error(`issuers: ${own.issuer} is Warden's own issuer; its tokens are verified against its own keys`);
  }
  const authenticator = new JwtAuthenticator([own, ...external], cache, revocations);

  return {
    name: 'access_tokens',
    cache,
    revocations,
    authenticators: [authenticator],
    async verifyOwnToken(token) {
      const verified = await anyAudience.verify(token);
      if (!('principal' in verified) || verified.revocableId === undefined) return verified;
      return (await revocations.isRevoked(verified.revocableId))
        ? (denied('revoked', 'The token has been revoked.') as TokenRejection)
        : verified;
    },
    start() {
      revocations.start();
    },
    flush: async () => {},
    stop: async () => {
      await revocations.stop();
      cache.clear();
    },
  };
}
