const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'EPIPE',
  'EAI_AGAIN',
]);

/**
 * True when an error means "the store is unreachable or unusable right now" (answer 503, fail closed) rather
 * than a bug (answer 500). Covers pg connection errors, PostgreSQL's admin-shutdown/connection classes, and
 * SQLite busy/I/O errors.
 */
export function isStorageFault(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code)) return true;
    if (/^(08|53|57P)/.test(code)) return true; // PostgreSQL: connection exception, resources, operator intervention
    if (/^SQLITE_(BUSY|LOCKED|IOERR|CANTOPEN|FULL|READONLY|CORRUPT|NOTADB)/.test(code)) return true;
  }
  return /Connection terminated|timeout exceeded when trying to connect|driver has already been destroyed|database connection is not open|Cannot use a pool after calling end|Query read timeout|Client has encountered a connection error|Client was closed and is not queryable/i.test(
    error.message,
  );
}
