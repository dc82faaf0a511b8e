import { crc32 } from 'node:zlib';
import { encodeBase62Fixed, randomBase62 } from '../util/base62.js';

/**
 * Warden API key format: `<prefix>_<id>_<secret><checksum>`, e.g. `wdn_4fK2a9QwZx1B_<22 chars><6 chars>`.
 *
 * - prefix: configurable (default `wdn`) so secret scanners and humans can tell what a string is.
 * - id: 12 base62 chars, public, the database lookup key; safe to log.
 * - secret: 22 base62 chars = 130.9 bits from the CSPRNG (SECURITY.md #32 asks for >= 128).
 * - checksum: CRC32 of everything before it, 6 base62 chars. A typo or truncation is rejected before any
 *   storage access, so garbage cannot be used to load the database.
 */
export const KEY_ID_LENGTH = 12;
export const KEY_SECRET_LENGTH = 22;
export const KEY_CHECKSUM_LENGTH = 6;
export const KEY_PREFIX_PATTERN = /^[a-z][a-z0-9]{1,15}$/;

const KEY_PATTERN = new RegExp(
  `^([a-z][a-z0-9]{1,15})_([0-9A-Za-z]{${KEY_ID_LENGTH}})_([0-9A-Za-z]{${KEY_SECRET_LENGTH}})([0-9A-Za-z]{${KEY_CHECKSUM_LENGTH}})$`,
);

export interface ParsedApiKey {
  prefix: string;
  id: string;
  secret: string;
}

function checksumOf(body: string): string {
  return encodeBase62Fixed(crc32(body), KEY_CHECKSUM_LENGTH);
}

export function generateApiKey(prefix: string): { key: string; parsed: ParsedApiKey } {
  if (!KEY_PREFIX_PATTERN.test(prefix)) throw new Error('API key prefix must match [a-z][a-z0-9]{1,15}');
  const id = randomBase62(KEY_ID_LENGTH);
  const secret = randomBase62(KEY_SECRET_LENGTH);
  const body = `${prefix}_${id}_${secret}`;
  return { key: body + checksumOf(body), parsed: { prefix, id, secret } };
}

/** Parses a presented key; null when it fails the format or the checksum. Pure: touches no storage. */
export function parseApiKey(presented: string): ParsedApiKey | null {
  const match = KEY_PATTERN.exec(presented);
  if (!match) return null;
  const [, prefix, id, secret, checksum] = match as unknown as [string, string, string, string, string];
  if (checksumOf(`${prefix}_${id}_${secret}`) !== checksum) return null;
  return { prefix, id, secret };
}
