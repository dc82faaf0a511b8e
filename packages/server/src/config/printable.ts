import { configFields, formatDuration } from './fields.js';
import { redactConfig } from './redact.js';
import type { WardenConfig } from './schema.js';

/** Paths of the durations (none sits under a map key such as `api_keys.static.<key>`). */
const DURATION_PATHS = configFields()
  .filter((field) => field.duration && !field.path.includes('<key>'))
  .map((field) => field.path.split('.'));

/**
 * The configuration as `warden config check` prints it: secrets redacted, and durations as people write them
 * (`5m`, not `300000`), so the output reads like the file and is a valid configuration itself.
 */
export function printableConfig(config: WardenConfig): Record<string, unknown> {
  const printable = redactConfig(config);
  for (const path of DURATION_PATHS) formatDurationAt(printable, path);
  return printable;
}

/** Formats the duration at `path`; a `name[]` part stands for every entry of the list `name`. */
function formatDurationAt(node: unknown, path: readonly string[]): void {
  if (typeof node !== 'object' || node === null) return;
  const record = node as Record<string, unknown>;
  const [part, ...rest] = path as [string, ...string[]];
  if (part.endsWith('[]')) {
    const list = record[part.slice(0, -2)];
    if (Array.isArray(list)) for (const entry of list) formatDurationAt(entry, rest);
    return;
  }
  if (rest.length > 0) formatDurationAt(record[part], rest);
  else if (typeof record[part] === 'number') record[part] = formatDuration(record[part]);
}
