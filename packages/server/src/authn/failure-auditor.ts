import type { CredentialKind } from '@warden/sdk';
import type { Logger } from 'pino';
import { type AuditBudget, AuditRateLimiter } from '../cluster/audit-rate-limiter.js';
import type { AuditRepository } from '../store/audit.js';

/** How many failed-verification events are written per minute, per budget (`audit:` in config). */
export interface FailureAuditLimits {
  /** Per credential id (an API key id, later a client id). */
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
  /** Writes in flight: decisions never wait for them, `flush()` does. */
  private readonly writing = new Set<Promise<void>>();

  constructor(private readonly options: FailureAuditorOptions) {}

  /**
   * `kind` is the kind of the authenticator that refused the credential, or null when none got to see it (a
   * malformed or unsupported presentation).
   */
  record(failure: { code: string; kind: CredentialKind | null; credentialId?: string; peer: string }): void {
    const { audit, limits, logger, now, onSuppressed } = this.options;
    const at = now();
    const budgets: AuditBudget[] = [
      { scope: 'instance', bucket: 'instance', limit: limits.perInstance },
      { scope: 'peer', bucket: `peer:${failure.peer}`, limit: limits.perPeer },
    ];
    if (failure.credentialId) {
      const bucket = `credential:${failure.kind}:${failure.credentialId}`;
      budgets.push({ scope: 'credential', bucket, limit: limits.perCredential });
    }
    const { write: admitted, suppressed } = this.limiter.admit(budgets, at);
    if (!admitted) {
      onSuppressed?.();
      return;
    }
    const write = audit
      .record({
        at,
        action: 'credential.verify_failed',
        outcome: 'failure',
        targetType: failure.kind,
        targetId: failure.credentialId ?? null,
        reason: failure.code,
        peer: failure.peer,
        details: Object.keys(suppressed).length > 0 ? { suppressed } : null,
      })
      .catch((error: unknown) => logger.error({ err: error }, 'could not write audit event'))
      .finally(() => this.writing.delete(write));
    this.writing.add(write);
  }

  /** Resolves once every audit write started so far has finished (written or logged as failed). */
  async flush(): Promise<void> {
    while (this.writing.size > 0) await Promise.all([...this.writing]);
  }
}
