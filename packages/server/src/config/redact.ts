import { SECRET_CONFIG_PATHS } from './fields.js';
import type { WardenConfig } from './schema.js';

export const REDACTED = '[redacted]';

/** A static key given as its digest (`sha256:<64 hex>`): safe to print. Anything else is a plaintext key. */
export const HASHED_STATIC_KEY = /^sha256:[0-9a-fA-F]{64}$/;

/**
 * How each static key (the map key under `api_keys.static`) is printed: digests as they are, plaintext keys as
 * `[redacted]#1`, `[redacted]#2`... in the order they appear, so problems and `config check` agree on the number.
 */
export function printableStaticKeys(keys: readonly string[]): Map<string, string> {
  const labels = new Map<string, string>();
  let index = 0;
  for (const key of keys) labels.set(key, HASHED_STATIC_KEY.test(key) ? key : `${REDACTED}#${++index}`);
  return labels;
}

/** A database URL with its password (in the user info or a `password` query parameter) replaced by [redacted]. */
export function redactDatabaseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Not a URL the driver could use either; still hide anything that looks like `user:password@`.
    return url.replace(/\/\/([^/@]*?):([^@]*)@/, `//$1:${REDACTED}@`);
  }
  // A placeholder of URL-safe characters, so the URL serializer does not percent-encode the brackets.
  const placeholder = 'WARDENREDACTEDPLACEHOLDER';
  let changed = false;
  if (parsed.password !== '') {
    parsed.password = placeholder;
    changed = true;
  }
  for (const name of [...parsed.searchParams.keys()]) {
    if (/^(password|passwd|pass|sslkey|sslpassword)$/i.test(name)) {
      parsed.searchParams.set(name, placeholder);
      changed = true;
    }
  }
  return changed ? parsed.toString().replaceAll(placeholder, REDACTED) : url;
}

/** A printable copy of the configuration: secrets and plaintext static keys become [redacted]. */
export function redactConfig(config: WardenConfig): Record<string, unknown> {
  const copy = structuredClone(config) as unknown as Record<string, Record<string, unknown>>;
  for (const path of SECRET_CONFIG_PATHS) {
    const parts = path.split('.');
    let node: Record<string, unknown> | undefined = copy;
    for (const part of parts.slice(0, -1)) node = node?.[part] as Record<string, unknown> | undefined;
    const key = parts.at(-1)!;
    if (node?.[key] !== undefined) node[key] = REDACTED;
  }
  const url = copy.database?.url;
  if (typeof url === 'string') copy.database!.url = redactDatabaseUrl(url);
  const staticKeys = copy.api_keys?.static as Record<string, unknown> | undefined;
  if (staticKeys) {
    const labels = printableStaticKeys(Object.keys(staticKeys));
    const printable: Record<string, unknown> = {};
    for (const [key, identity] of Object.entries(staticKeys)) printable[labels.get(key)!] = identity;
    copy.api_keys!.static = printable;
  }
  return copy;
}
