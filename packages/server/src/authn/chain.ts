import { isPromise, type MaybePromise } from '../util/maybe-promise.js';
import type { FailureAuditor } from './failure-auditor.js';
import { presentedCredentials } from './presented.js';
import { type Authenticator, type AuthResult, denied, type RequestAttributes } from './types.js';

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

  authenticate(attributes: RequestAttributes): MaybePromise<AuthResult> {
    const presentation = presentedCredentials(attributes, this.cookieNames);
    if (presentation.kind === 'none') return denied('missing_credentials');
    if (presentation.kind === 'malformed') {
      return this.failed(
        attributes,
        null,
        denied('malformed_credentials', `Malformed credentials: ${presentation.reason}.`),
      );
    }
    for (const authenticator of this.authenticators) {
      const credential = presentation.credentials.find((presented) => authenticator.accepts(presented));
      if (credential === undefined) continue;
      const result = authenticator.authenticate(credential, attributes);
      return isPromise(result)
        ? result.then((settled) => (settled.ok ? settled : this.failed(attributes, authenticator, settled)))
        : result.ok
          ? result
          : this.failed(attributes, authenticator, result);
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
