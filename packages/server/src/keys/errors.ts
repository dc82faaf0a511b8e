/** A key management request that cannot be carried out: maps to a 4xx on the admin API and exit 1/2 in the CLI. */
export class KeyOperationError extends Error {
  constructor(
    readonly code: 'not_found' | 'conflict' | 'invalid_request',
    message: string,
  ) {
    super(message);
    this.name = 'KeyOperationError';
  }
}
