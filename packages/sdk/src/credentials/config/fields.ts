import { didYouMean } from '../../did-you-mean.js';
import { Secret } from '../secret.js';

/** How one configuration field is read and checked. */
export type FieldSpec =
  | { kind: 'string' }
  | { kind: 'secret' }
  | { kind: 'url' }
  | { kind: 'boolean' }
  | { kind: 'integer'; min: number; max: number }
  | { kind: 'string_list' }
  | { kind: 'enum'; values: readonly string[] }
  /** Milliseconds; YAML gives a number of seconds or `500ms`, `30s`, `5m`, `2h`, `1d`. */
  | { kind: 'duration' }
  /** A number strictly between 0 and 1. */
  | { kind: 'fraction' };

export type FieldSpecs = Readonly<Record<string, FieldSpec>>;

/** Values after parsing: strings, Secrets (never plain), URLs, booleans, lists, milliseconds or fractions. */
export type FieldValue = string | Secret | URL | boolean | string[] | number;
export type ParsedFields = Readonly<Record<string, FieldValue | undefined>>;

/** Secrets shorter than this are almost certainly a placeholder or a truncated value. */
const MIN_SECRET_LENGTH = 4;

const DURATION_PATTERN = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;
const DURATION_UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parse `30s`, `5m`, `1.5h`, `250ms`, or a number of seconds, into milliseconds. */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? value * 1000 : undefined;
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return parseDuration(Number(trimmed));
  const match = DURATION_PATTERN.exec(trimmed);
  if (!match) return undefined;
  const amount = Number(match[1]) * (DURATION_UNIT_MS[match[2]!] ?? Number.NaN);
  return Number.isFinite(amount) && amount > 0 ? amount : undefined;
}

/**
 * Parse one field. Returns the value, or a problem text that names the field but never repeats its value
 * (the value may be a secret put in the wrong place).
 */
export function parseField(field: string, spec: FieldSpec, raw: unknown): { value: FieldValue } | { problem: string } {
  switch (spec.kind) {
    case 'string':
      if (typeof raw === 'string' && raw.trim() !== '') return { value: raw.trim() };
      if (typeof raw === 'number') return { value: String(raw) };
      return { problem: `${field} must be a non-empty string` };
    case 'secret':
      if (typeof raw === 'string' && raw.length >= MIN_SECRET_LENGTH) return { value: new Secret(raw) };
      if (typeof raw === 'string' && raw.length > 0) {
        return { problem: `${field} is too short to be a real secret (under ${MIN_SECRET_LENGTH} characters)` };
      }
      return { problem: `${field} must be a non-empty string` };
    case 'url': {
      if (typeof raw !== 'string' || raw.trim() === '') return { problem: `${field} must be an absolute URL` };
      let url: URL;
      try {
        url = new URL(raw.trim());
      } catch {
        return { problem: `${field} must be an absolute URL` };
      }
      if (url.protocol !== 'https:' && url.protocol !== 'http:') return { problem: `${field} must be an http(s) URL` };
      // Credentials in a URL end up in logs and error messages; they belong in their own fields.
      if (url.username || url.password) return { problem: `${field} must not contain a username or password` };
      if (url.hash) return { problem: `${field} must not contain a #fragment` };
      return { value: url };
    }
    case 'boolean':
      if (typeof raw === 'boolean') return { value: raw };
      if (raw === 'true' || raw === 'false') return { value: raw === 'true' };
      return { problem: `${field} must be true or false` };
    case 'integer': {
      const number = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : raw;
      if (typeof number === 'number' && Number.isInteger(number) && number >= spec.min && number <= spec.max) {
        return { value: number };
      }
      return { problem: `${field} must be a whole number from ${spec.min} to ${spec.max}` };
    }
    case 'string_list': {
      const items = typeof raw === 'string' ? raw.split(/[\s,]+/) : Array.isArray(raw) ? raw : null;
      if (!items?.every((item) => typeof item === 'string')) {
        return { problem: `${field} must be a list of strings (or one space-separated string)` };
      }
      const cleaned = (items as string[]).map((item) => item.trim()).filter((item) => item !== '');
      return { value: [...new Set(cleaned)] };
    }
    case 'enum':
      if (typeof raw === 'string' && spec.values.includes(raw)) return { value: raw };
      return { problem: `${field} must be one of ${spec.values.join(' | ')}` };
    case 'duration': {
      const ms = parseDuration(raw);
      if (ms === undefined) return { problem: `${field} must be a positive duration such as 30s, 5m, 1h (or seconds)` };
      return { value: ms };
    }
    case 'fraction': {
      const number = typeof raw === 'string' ? Number(raw) : raw;
      if (typeof number === 'number' && number > 0 && number < 1) return { value: number };
      return { problem: `${field} must be a number between 0 and 1 (exclusive)` };
    }
  }
}

/** "Did you mean" for misspelt field and type names (the same rule as the server's configuration). */
export function closestName(name: string, candidates: Iterable<string>): string | undefined {
  return didYouMean(name, [...candidates]) ?? undefined;
}
