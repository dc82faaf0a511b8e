import type { DecisionErrorCode, Principal } from '@warden/sdk';
import type { AuthResult } from '../authn/types.js';

/**
 * The shapes of the answers the admin API and the CLI share, built in one place so `warden keys ... --json` and
 * `/v1/admin/keys...` say the same thing.
 */

/**
 * The cursor of the page after `items` (pass it as `after`): the last id when the page is full, so more keys may
 * follow; null when it is not, so none do.
 */
export function nextPageCursor(items: readonly { id: string }[], limit: number): string | null {
  return items.length === limit ? (items.at(-1)?.id ?? null) : null;
}

/** A verification as data: `{valid: true, principal}` or `{valid: false, code}`, never an error. */
export type VerificationAnswer = { valid: true; principal: Principal } | { valid: false; code: DecisionErrorCode };

export function verificationAnswer(result: AuthResult): VerificationAnswer {
  return result.ok ? { valid: true, principal: result.principal } : { valid: false, code: result.code };
}
