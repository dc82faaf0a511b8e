import { ConfigError } from '../config/errors.js';
import { KeyOperationError } from '../keys/errors.js';

/** Exit codes of every command: 0 success, 1 a negative answer (invalid key, no such key), 2 usage or configuration. */
export const EXIT = { ok: 0, negative: 1, usage: 2 } as const;

/** A negative answer that is not a fault: printed, exit 1. */
export class NegativeAnswer extends Error {
  constructor(
    message: string,
    readonly data: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** A usage or configuration mistake with a stable code: printed, exit 2. */
export class UsageError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export function printResult(json: boolean, data: unknown, human: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(data, null, 2)}\n` : `${human()}\n`);
}

function printError(json: boolean, code: string, message: string, extra: Record<string, unknown> = {}): void {
  if (json) process.stdout.write(`${JSON.stringify({ error: code, message, ...extra }, null, 2)}\n`);
  else process.stderr.write(`error: ${message}\n`);
}

/** Runs a command body and turns its outcome into output and an exit code. */
export async function runCommand(body: () => Promise<void>, json: boolean): Promise<void> {
  try {
    await body();
  } catch (error) {
    if (error instanceof ConfigError) {
      printError(json, error.code, error.message, { problems: error.problems });
      process.exitCode = EXIT.usage;
    } else if (error instanceof UsageError) {
      printError(json, error.code, error.message, error.extra);
      process.exitCode = EXIT.usage;
    } else if (error instanceof NegativeAnswer) {
      printError(json, String(error.data.error ?? 'negative'), error.message, error.data);
      process.exitCode = EXIT.negative;
    } else if (error instanceof KeyOperationError) {
      printError(json, error.code, error.message);
      process.exitCode = error.code === 'invalid_request' ? EXIT.usage : EXIT.negative;
    } else {
      const message = error instanceof Error ? error.message : String(error);
      printError(json, 'internal_error', message);
      process.exitCode = EXIT.negative;
    }
  }
}
