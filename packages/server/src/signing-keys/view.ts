import type { SigningAlgorithm } from './algorithms.js';
import type { SigningKeyRecord } from './repository.js';

/**
 * Where a key is in its life at a given time: `next` (published, not signing yet), `active` (signing), `retired`
 * (no longer signing, still published so the tokens it signed verify), `expired` (out of the JWKS).
 */
export type SigningKeyState = 'next' | 'active' | 'retired' | 'expired';

export function signingKeyState(key: SigningKeyRecord, now: number): SigningKeyState {
  if (now < key.activatedAt) return 'next';
  if (key.retiredAt === null || now < key.retiredAt) return 'active';
  return key.expiresAt !== null && now >= key.expiresAt ? 'expired' : 'retired';
}

/** Published at `now`: in the JWKS and accepted for verification. */
export function isPublished(key: SigningKeyRecord, now: number): boolean {
  return key.publishedAt <= now && (key.expiresAt === null || now < key.expiresAt);
}

/** A signing key as the admin API and the CLI show it: public facts only, never key material. */
export interface SigningKeyView {
  kid: string;
  algorithm: SigningAlgorithm;
  state: SigningKeyState;
  /** The kid of the key it replaced; null for the first key. */
  predecessor: string | null;
  createdAt: string;
  publishedAt: string;
  /** When it starts (or started) signing: in the future for a `next` key. */
  activatedAt: string;
  /** When it stops (or stopped) signing; null while no successor is published. */
  retiredAt: string | null;
  /** When it leaves the JWKS; null while it has no retirement time. */
  expiresAt: string | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function toSigningKeyView(key: SigningKeyRecord, now: number): SigningKeyView {
  return {
    kid: key.kid,
    algorithm: key.algorithm,
    state: signingKeyState(key, now),
    predecessor: key.predecessor,
    createdAt: iso(key.createdAt)!,
    publishedAt: iso(key.publishedAt)!,
    activatedAt: iso(key.activatedAt)!,
    retiredAt: iso(key.retiredAt),
    expiresAt: iso(key.expiresAt),
  };
}
