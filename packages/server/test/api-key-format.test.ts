import { describe, expect, it } from 'vitest';
import { generateApiKey, KEY_SECRET_LENGTH, parseApiKey } from '../src/issue/api-key-format.js';
import { hashApiKeySecret, verifyApiKeySecret } from '../src/issue/api-key-hash.js';
import { encodeBase62Fixed, randomBase62 } from '../src/util/base62.js';
import { constantTimeEqual } from '../src/util/constant-time.js';
import { flipOneCharacter } from './helpers/requests.js';

describe('API key format', () => {
  it('is prefix_id_secret+checksum and parses back', () => {
    const { key, parsed } = generateApiKey('wdn');
    expect(key).toMatch(/^wdn_[0-9A-Za-z]{12}_[0-9A-Za-z]{28}$/);
    expect(parseApiKey(key)).toEqual(parsed);
  });

  it('SECURITY.md #32: the secret carries at least 128 bits from the CSPRNG', () => {
    expect(KEY_SECRET_LENGTH * Math.log2(62)).toBeGreaterThanOrEqual(128);
    const secrets = new Set(Array.from({ length: 2000 }, () => generateApiKey('wdn').parsed.secret));
    expect(secrets.size).toBe(2000);
  });

  it('SECURITY.md #32: one flipped character anywhere fails the checksum', () => {
    const { key } = generateApiKey('wdn');
    for (let fromEnd = 1; fromEnd < key.length - 4; fromEnd++) {
      if (key[key.length - fromEnd] === '_') continue;
      expect(parseApiKey(flipOneCharacter(key, fromEnd)), `flip at -${fromEnd}`).toBeNull();
    }
  });

  it('rejects truncated, extended and foreign strings', () => {
    const { key } = generateApiKey('wdn');
    for (const bad of [key.slice(0, -1), `${key}a`, '', 'wdn__', `WDN${key.slice(3)}`, `${key} `, 'Bearer x']) {
      expect(parseApiKey(bad)).toBeNull();
    }
  });

  it('accepts configurable prefixes and refuses bad ones', () => {
    expect(generateApiKey('acme2').key.startsWith('acme2_')).toBe(true);
    expect(() => generateApiKey('Bad_Prefix')).toThrow(/prefix/);
    expect(() => generateApiKey('x')).toThrow(/prefix/);
  });

  it('base62 helpers are uniform-width and in alphabet', () => {
    expect(encodeBase62Fixed(0, 6)).toBe('000000');
    expect(encodeBase62Fixed(2 ** 32 - 1, 6)).toHaveLength(6);
    expect(randomBase62(50)).toMatch(/^[0-9A-Za-z]{50}$/);
  });
});

describe('API key hashing', () => {
  const pepper = Buffer.from('a-test-pepper-of-at-least-32-characters!!');

  it('SECURITY.md #33: the digest is HMAC-SHA256(pepper, salt || secret) and depends on every input', () => {
    const digest = hashApiKeySecret(pepper, 'salt1', 'secret');
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
    expect(hashApiKeySecret(pepper, 'salt2', 'secret')).not.toBe(digest);
    expect(hashApiKeySecret(Buffer.from('another-pepper-of-at-least-32-characters'), 'salt1', 'secret')).not.toBe(
      digest,
    );
    expect(verifyApiKeySecret(pepper, 'salt1', 'secret', digest)).toBe(true);
    expect(verifyApiKeySecret(pepper, 'salt1', 'secreT', digest)).toBe(false);
  });

  it('SECURITY.md #34: constant-time comparison handles equal, unequal and different-length inputs', () => {
    expect(constantTimeEqual('abc', 'abc')).toBe(true);
    expect(constantTimeEqual('abc', 'abd')).toBe(false);
    expect(constantTimeEqual('abc', 'abcd')).toBe(false);
    expect(constantTimeEqual(Buffer.from([1, 2]), Buffer.from([1, 2]))).toBe(true);
  });
});
