import { crc32 } from 'node:zlib';
import type { RequestAttributes } from '../../src/authn/types.js';
import { KEY_CHECKSUM_LENGTH } from '../../src/issue/api-key-format.js';
import { encodeBase62Fixed, randomBase62 } from '../../src/util/base62.js';

/** Attributes of a request to decide on, as an entry point would build them. */
export function requestWith(
  headers: Record<string, string | string[]>,
  overrides: Partial<RequestAttributes> = {},
): RequestAttributes {
  const lowered: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) lowered[name.toLowerCase()] = value;
  return { method: 'GET', host: 'api.example.com', path: '/orders', headers: lowered, peer: '10.0.0.7', ...overrides };
}

export const bearer = (key: string) => requestWith({ authorization: `Bearer ${key}` });

/** Flips one character of the secret part of a key (keeps the alphabet), so only the checksum can catch it. */
export function flipOneCharacter(key: string, indexFromEnd = 10): string {
  const i = key.length - indexFromEnd;
  const replacement = key[i] === 'a' ? 'b' : 'a';
  return key.slice(0, i) + replacement + key.slice(i + 1);
}

/** A key in Warden's format with a valid checksum: passes the format check, so verification reaches the store. */
export function checksummedKey(id: string, secret: string, prefix = 'wdn'): string {
  const body = `${prefix}_${id}_${secret}`;
  return body + encodeBase62Fixed(crc32(body), KEY_CHECKSUM_LENGTH);
}

/** A well-formed key whose id no store holds: each one costs a storage read (a negative-cache miss). */
export function unknownWellFormedKey(): string {
  return checksummedKey(randomBase62(12), randomBase62(22));
}

/** A key with the same prefix and id but another secret, with a correct checksum: passes the format, fails the HMAC. */
export function sameIdOtherSecret(key: string): string {
  const [prefix, id] = key.split('_');
  return checksummedKey(id!, randomBase62(22), prefix);
}

/** The id and secret of a client with a secret, as `clients.create` answers them. */
export interface IssuedClient {
  client_id: string;
  client_secret: string;
}

/**
 * `Authorization: Basic` for a client as RFC 6749 section 2.3.1 builds it: id and secret each form-urlencoded,
 * then joined and base64-encoded.
 */
export const clientBasic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/** The value with its last character replaced by another one (never by itself, whatever the value ends with). */
export const lastCharacterChanged = (value: string) => `${value.slice(0, -1)}${value.endsWith('x') ? 'y' : 'x'}`;
