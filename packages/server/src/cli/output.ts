import { WardenError } from '../errors/warden-error.js';

/** Exit codes of every command: 0 success, 1 a negative answer (invalid key, no such key), 2 usage or configuration. */
export const EXIT = { ok: 0, negative: 1, usage: 2 } as const;

export function printResult(json: boolean, data: unknown, human: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(data, null, 2)}\n` : `${human()}\n`);
}

/** A line for the person at the terminal that is neither the answer nor an error: on stderr, so `--json` stays clean. */
export function printNote(text: string): void {
  process.stderr.write(`note: ${text}\n`);
}

/** Rows under a header, each column as wide as its widest cell; an empty cell shows as `-`. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const lines = [header, ...rows.map((row) => row.map((cell) => cell || '-'))];
  const widths = header.map((_, column) => Math.max(...lines.map((line) => line[column]?.length ?? 0)));
  return lines
    .map((line) =>
      line
        .map((cell, column) => (column === line.length - 1 ? cell : cell.padEnd(widths[column]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/**
 * A negative answer that is data rather than a failure (a key that does not verify): the JSON answer on stdout,
 * in text an `error:` line on stderr, and exit 1.
 */
export function printNegativeResult(json: boolean, data: unknown, human: () => string): void {
  if (json) process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
  else process.stderr.write(`error: ${human()}\n`);
  process.exitCode = EXIT.negative;
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
