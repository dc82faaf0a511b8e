import type { IssuedCredential, RefreshPlan } from '../providers/provider.js';

/** setTimeout's maximum; longer delays fire immediately in Node, which would turn a day-long token into a hot loop. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Never plan a refresh sooner than this after the last one: a server issuing 1-second tokens must not spin us. */
const MIN_REFRESH_DELAY_MS = 250;

/** When to refresh a credential ahead of its expiry, as an absolute time; null when there is nothing to plan on. */
export function plannedRefreshAt(credential: IssuedCredential, plan: RefreshPlan): number | null {
  const obtainedAt = credential.obtainedAt.getTime();
  const expiresAt = credential.expiresAt?.getTime() ?? null;
  const byFraction = expiresAt === null ? null : obtainedAt + (expiresAt - obtainedAt) * plan.fraction;
  if (plan.intervalMs !== null) {
    const byInterval = obtainedAt + plan.intervalMs;
    // A fixed interval longer than the token's life would let it lapse; the lifetime wins then.
    return byFraction !== null && expiresAt !== null && byInterval >= expiresAt ? byFraction : byInterval;
  }
  return byFraction;
}

/**
 * A token counts as usable until shortly before its expiry, so a request does not leave with a token that
 * dies in flight: 10% of its lifetime, at most 5 s.
 */
export function isUsable(credential: IssuedCredential, now: number): boolean {
  if (credential.expiresAt === null) return true;
  const expiresAt = credential.expiresAt.getTime();
  const margin = Math.min(5000, (expiresAt - credential.obtainedAt.getTime()) * 0.1);
  return now < expiresAt - margin;
}

/** Clamp a delay into what a timer can hold, with the minimum spacing between refreshes. */
export function timerDelay(at: number, now: number, minimum = MIN_REFRESH_DELAY_MS): number {
  return Math.min(MAX_TIMER_MS, Math.max(minimum, at - now));
}

export interface RetryPolicy {
  /** Attempts for a request made by a caller (getToken, fetch) before its error is thrown. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 500, maxDelayMs: 60_000 };

/**
 * Exponential backoff with "equal jitter": half the delay fixed, half random, so many clients that failed
 * together (an authorization server restart) do not come back together.
 */
export function backoffDelay(failure: number, policy: RetryPolicy, random: () => number): number {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, failure - 1));
  return Math.round(exponential / 2 + random() * (exponential / 2));
}
