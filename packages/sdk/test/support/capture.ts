import { format } from 'node:util';

/**
 * Captures everything a piece of code writes to stdout/stderr and console, so a test can assert that no
 * secret ever reaches output.
 */
export function captureOutput(): { text: () => string; restore: () => void } {
  const chunks: string[] = [];
  const originalStdout = process.stdout.write.bind(process.stdout);
  const originalStderr = process.stderr.write.bind(process.stderr);
  const consoleMethods = ['log', 'info', 'warn', 'error', 'debug'] as const;
  const originalConsole = consoleMethods.map((method) => console[method]);
  const record = (chunk: unknown) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    return true;
  };
  process.stdout.write = record as typeof process.stdout.write;
  process.stderr.write = record as typeof process.stderr.write;
  for (const method of consoleMethods)
    console[method] = (...args: unknown[]) => void chunks.push(`${format(...args)}\n`);
  return {
    text: () => chunks.join(''),
    restore: () => {
      process.stdout.write = originalStdout;
      process.stderr.write = originalStderr;
      consoleMethods.forEach((method, index) => {
        console[method] = originalConsole[index]!;
      });
    },
  };
}
