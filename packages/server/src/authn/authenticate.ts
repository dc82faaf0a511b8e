import type { ApiKeyAuthenticator } from './api-key.js';
import { extractCredential } from './credentials.js';
import type { FailureAuditor } from './failure-auditor.js';
import { type AuthResult, denied, type RequestAttributes } from './types.js';

/**
 * The authentication half of the pipeline: find the presented credential, hand it to the authenticator for
 * its kind, and audit failures. Later credential kinds (JWT, Basic, mTLS, session) slot in here.
 */
export class Authenticator {
  constructor(
    private readonly apiKeys: ApiKeyAuthenticator,
    private readonly failures: FailureAuditor,
  ) {}

  async authenticate(attributes: RequestAttributes): Promise<AuthResult> {
    const credential = extractCredential(attributes.headers);
    let result: AuthResult;
    switch (credential.kind) {
      case 'none':
        return denied('missing_credentials');
      case 'malformed':
        result = denied('malformed_credentials', `Malformed credentials: ${credential.reason}.`);
        break;
      case 'api_key':
        result = await this.apiKeys.verify(credential.value);
        break;
    }
    if (!result.ok)
      this.failures.record({
        code: result.code,
        peer: attributes.peer,
        ...(result.keyId ? { keyId: result.keyId } : {}),
      });
    return result;
  }
}
