import type { CredentialKind } from '@warden/sdk';
import { ANONYMOUS_PRINCIPAL } from '../authz/anonymous.js';
import { isPromise, type MaybePromise } from '../util/maybe-promise.js';
import type { FailureAuditor } from './failure-auditor.js';
import { presentedCredentials } from './presented.js';
import { type Authenticator, type AuthResult, denied, type RequestAttributes } from './types.js';

/** Which authenticators an access rule lets the chain use. */
export interface AllowedAuthenticators {
  /** The credential kinds to try; null: every authenticator. */
  authenticators: ReadonlySet<CredentialKind> | null;
  /** A request without credentials passes as the anonymous principal. */
  anonymous: boolean;
}
const EVERY_AUTHENTICATOR: AllowedAuthenticators = Object.freeze({ authenticators: null, anonymous: false });
const ANONYMOUS: AuthResult = Object.freeze({ ok: true, principal: ANONYMOUS_PRINCIPAL });

/**
 * The authentication half of the pipeline. Finds what the request presented and runs the authenticators in
 * order: the first that accepts one of the presented credentials verifies it, and its answer is the result.
 * A request with no credential is `missing_credentials` (not audited: that is a normal anonymous request);
 * one that only presents credentials no authenticator accepts is `malformed_credentials`. Failures are
 * audited with the credential kind that failed.
 */
export class AuthenticatorChain {
  private readonly cookieNames: readonly string[];

  constructor(
    private readonly authenticators: readonly Authenticator[],
    private readonly failures: FailureAuditor,
  ) {
    this.cookieNames = authenticators.flatMap((authenticator) => authenticator.cookieNames ?? []);
  }

  /**
   * `allowed` narrows the chain to what the matched access rule names: its credential kinds (null: all), and
   * whether a request without credentials passes as the anonymous principal.
   */
  authenticate(
    attributes: RequestAttributes,
    allowed: AllowedAuthenticators = EVERY_AUTHENTICATOR,
  ): MaybePromise<AuthResult> {
    const presentation = presentedCredentials(attributes, this.cookieNames);
    if (presentation.kind === 'none') {
      return allowed.anonymous ? ANONYMOUS : denied('missing_credentials');
    }
    if (presentation.kind === 'malformed') {
      return this.failed(
        attributes,
        null,
        denied('malformed_credentials', `Malformed credentials: ${presentation.reason}.`),
      );
    }
    let refused: Authenticator | null = null;
    for (const authenticator of this.authenticators) {
      const credential = presentation.credentials.find((presented) => authenticator.accepts(presented));
      if (credential === undefined) continue;
      if (allowed.authenticators !== null && !allowed.authenticators.has(authenticator.kind)) {
        refused ??= authenticator;
        continue;
      }
      const result = authenticator.authenticate(credential, attributes);
      return isPromise(result)
        ? result.then((settled) => (settled.ok ? settled : this.failed(attributes, authenticator, settled)))
        : result.ok
          ? result
          : this.failed(attributes, authenticator, result);
    }
    if (refused !== null) {
      return this.failed(
        attributes,
        refused,
        denied('invalid_credentials', `This resource does not take ${refused.kind} credentials.`),
      );
    }
    return this.failed(
      attributes,
      null,
      denied('malformed_credentials', 'Malformed credentials: unsupported authorization scheme.'),
    );
  }

  private failed(attributes: RequestAttributes, by: Authenticator | null, result: AuthResult): AuthResult {
    if (!result.ok) {
      this.failures.record({
        code: result.code,
        kind: by?.kind ?? null,
        peer: attributes.peer,
        ...(result.credentialId ? { credentialId: result.credentialId } : {}),
      });
    }
    return result;
  }
}
