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
  for (const path of DURATION_PATHS) {
    let node = printable as Record<string, unknown> | undefined;
    for (const part of path.slice(0, -1)) node = node?.[part] as Record<string, unknown> | undefined;
    const key = path.at(-1)!;
    if (typeof node?.[key] === 'number') node[key] = formatDuration(node[key]);
  }
  return printable;
}
