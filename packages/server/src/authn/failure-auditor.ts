import type { Logger } from 'pino';
import { AuditRateLimiter } from '../cluster/audit-rate-limiter.js';
import type { AuditRepository } from '../store/audit.js';

/**
 * Records failed verifications in the audit log, at most `perMinute` per key id (or per peer when the key id is
 * unknown). Writing never delays or changes the decision; a failed write is logged.
 */
export class FailureAuditor {
  private readonly limiter: AuditRateLimiter;

  constructor(
    private readonly audit: AuditRepository,
    perMinute: number,
    private readonly logger: Logger,
    private readonly now: () => number,
  ) {
    this.limiter = new AuditRateLimiter(perMinute);
  }

  record(failure: { code: string; keyId?: string; peer: string }): void {
    const at = this.now();
    const bucket = failure.keyId ? `key:${failure.keyId}` : `peer:${failure.peer}`;
    const { write, suppressed } = this.limiter.admit(bucket, at);
    if (!write) return;
    this.audit
      .record({
        at,
        action: 'api_key.verify_failed',
        outcome: 'failure',
        targetType: failure.keyId ? 'api_key' : null,
        targetId: failure.keyId ?? null,
        reason: failure.code,
        peer: failure.peer,
        details: suppressed > 0 ? { suppressed_since_last: suppressed } : null,
      })
      .catch((error: unknown) => this.logger.error({ err: error }, 'could not write audit event'));
  }
}
