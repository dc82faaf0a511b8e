import { SECRET_CONFIG_PATHS, type WardenConfig } from './schema.js';

export const REDACTED = '[redacted]';

/** A printable copy of the configuration: secrets and plaintext static keys become [redacted]. */
export function redactConfig(config: WardenConfig): Record<string, unknown> {
  const copy = structuredClone(config) as unknown as Record<string, Record<string, unknown>>;
  for (const path of SECRET_CONFIG_PATHS) {
    const [section, key] = path.split('.') as [string, string];
    if (copy[section]?.[key] !== undefined) copy[section][key] = REDACTED;
  }
  const url = copy.database?.url;
  if (typeof url === 'string') copy.database!.url = url.replace(/\/\/([^:/@]+):([^@]+)@/, `//$1:${REDACTED}@`);
  const staticKeys = copy.api_keys?.static as Record<string, unknown> | undefined;
  if (staticKeys) {
    const printable: Record<string, unknown> = {};
    let index = 0;
    for (const [key, identity] of Object.entries(staticKeys)) {
      printable[key.startsWith('sha256:') ? key : `${REDACTED}#${++index}`] = identity;
    }
    copy.api_keys!.static = printable;
  }
  return copy;
}
