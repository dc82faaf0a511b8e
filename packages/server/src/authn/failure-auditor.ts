import type { Logger } from 'pino';
import { type AuditBudget, AuditRateLimiter } from '../cluster/audit-rate-limiter.js';
import type { AuditRepository } from '../store/audit.js';

/** How many failed-verification events are written per minute, per budget (`audit:` in config). */
export interface FailureAuditLimits {
  /** Per credential id (an API key id). */
  perCredential: number;
  /** Per peer address, whatever credentials it presents: one address sending fresh ids cannot flood. */
  perPeer: number;
  /** Per instance, over all peers: the bound on audit write volume. */
  perInstance: number;
}

export interface FailureAuditorOptions {
  audit: AuditRepository;
  limits: FailureAuditLimits;
  logger: Logger;
  now: () => number;
  /** Told about every failure that was counted but not written. */
  onSuppressed?: () => void;
}

/**
 * Records failed verifications in the audit log within the budgets of {@link FailureAuditLimits} (SECURITY.md
 * #52). A written event carries, under `details.suppressed`, how many events each of its budgets held back since
 * its last written one. Writing never delays or changes the decision; a failed write is logged.
 */
export class FailureAuditor {
  private readonly limiter = new AuditRateLimiter();

  constructor(private readonly options: FailureAuditorOptions) {}

  record(failure: { code: string; keyId?: string; peer: string }): void {
    const { audit, limits, logger, now, onSuppressed } = this.options;
    const at = now();
    const budgets: AuditBudget[] = [
      { scope: 'instance', bucket: 'instance', limit: limits.perInstance },
      { scope: 'peer', bucket: `peer:${failure.peer}`, limit: limits.perPeer },
    ];
    if (failure.keyId)
      budgets.push({ scope: 'credential', bucket: `key:${failure.keyId}`, limit: limits.perCredential });
    const { write, suppressed } = this.limiter.admit(budgets, at);
    if (!write) {
      onSuppressed?.();
      return;
    }
    audit
      .record({
        at,
        action: 'api_key.verify_failed',
        outcome: 'failure',
        targetType: failure.keyId ? 'api_key' : null,
        targetId: failure.keyId ?? null,
        reason: failure.code,
        peer: failure.peer,
        details: Object.keys(suppressed).length > 0 ? { suppressed } : null,
      })
      .catch((error: unknown) => logger.error({ err: error }, 'could not write audit event'));
  }
}
