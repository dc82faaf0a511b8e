import { ERRORS, type ErrorCode, type ErrorSpec } from './registry.js';

export interface WardenErrorOptions {
  /** Extra fields for machine output (`--json`, API bodies stay `{error, message}`): never a secret. */
  details?: Record<string, unknown>;
  /**
   * The CLI exit code when it differs from the registry's for this code: `warden token` reports an outbound
   * server's `invalid_request` as a refusal (1), not as the caller's usage mistake (2).
   */
  exit?: 1 | 2;
  cause?: unknown;
}

/**
 * The one error class: a registry code, a message that never holds a secret, and optional details. Thrown for
 * requests Warden refuses (bad input, not found, conflict) and for configuration mistakes; the HTTP error
 * handler and the CLI turn it into an answer by looking its code up in {@link ERRORS}.
 */
export class WardenError extends Error {
  override name = 'WardenError';
  readonly details: Record<string, unknown>;
  readonly exit: 1 | 2;

  constructor(
    readonly code: ErrorCode,
    message?: string,
    options: WardenErrorOptions = {},
  ) {
    super(message ?? ERRORS[code].message, options.cause === undefined ? undefined : { cause: options.cause });
    this.details = options.details ?? {};
    this.exit = options.exit ?? ERRORS[code].exit;
  }

  get spec(): ErrorSpec {
    return ERRORS[this.code];
  }

  get status(): number {
    return this.spec.status;
  }

  /** The message a remote caller may see: the error's own, or the registry's for codes that hide theirs. */
  get publicMessage(): string {
    return this.spec.expose ? this.message : this.spec.message;
  }
}
