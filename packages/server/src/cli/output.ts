import { WardenError } from '../errors/warden-error.js';

/** Exit codes of every command: 0 success, 1 a negative answer (invalid key, no such key), 2 usage or configuration. */
export const EXIT = { ok: 0, negative: 1, usage: 2 } as const;

export function printResult(json: boolean, data: unknown, human: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(data, null, 2)}\n` : `${human()}\n`);
}

function printError(json: boolean, error: WardenError): void {
  if (json) {
    const body = { error: error.code, message: error.message, ...error.details };
    process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
  } else {
    process.stderr.write(`error: ${error.message}\n`);
  }
}

/**
 * Runs a command body and turns its outcome into output and an exit code: 0 on success; on an error, the exit
 * code its registry entry gives (1 a negative answer, 2 a usage or configuration mistake). An unexpected error
 * is an `internal_error` (exit 1) and keeps its message: the operator running the command is its only reader.
 */
export async function runCommand(body: () => Promise<void>, json: boolean): Promise<void> {
  try {
    await body();
  } catch (error) {
    const failure =
      error instanceof WardenError
        ? error
        : new WardenError('internal_error', error instanceof Error ? error.message : String(error));
    printError(json, failure);
    process.exitCode = failure.exit;
  }
}
