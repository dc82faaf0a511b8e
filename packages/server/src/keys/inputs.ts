import { SUBJECT_TYPES } from '@warden/sdk';
import { z } from 'zod';
import { label, roleName, scopeToken } from '../identity/names.js';
import { parseDuration } from '../util/duration.js';
import { metadataSchema } from './metadata.js';

const durationText = z
  .string()
  .refine((value) => parseDuration(value) !== null && parseDuration(value)! > 0, {
    message: 'must be a positive duration like 30m, 12h, 90d or 2w',
  })
  .transform((value) => parseDuration(value)!);

/**
 * One schema for creating a key, used by the admin API (JSON body), the CLI (flags) and the programmatic API.
 * Every name that reaches an identity header is held to its alphabet (SECURITY.md #50, `identity/names.ts`).
 */
export const createKeyInput = z.strictObject({
  subject: label,
  name: label.optional(),
  subjectType: z.enum(SUBJECT_TYPES).default('service'),
  tenant: label.nullable().optional(),
  admin: z.boolean().default(false),
  roles: z.array(roleName).max(100).default([]),
  scopes: z.array(scopeToken).max(100).default([]),
  metadata: metadataSchema.default({}),
  /** A duration (`90d`) from now; or use `expiresAt`. */
  expiresIn: durationText.optional(),
  /** An absolute ISO-8601 time in the future. */
  expiresAt: z.iso.datetime({ offset: true }).optional(),
});
export type CreateKeyInput = z.input<typeof createKeyInput>;

export const rotateKeyInput = z.strictObject({
  /** How long the old key keeps working after rotation (default 0: it stops at once). */
  overlap: durationText.or(z.literal('0')).optional(),
  /**
   * The new key's lifetime from now (`90d`). Default: `api_keys.default_expires_in` from now when configured,
   * else the old key's expiry (a rotation never extends a lifetime silently).
   */
  expiresIn: durationText.optional(),
});

export const revokeKeyInput = z.strictObject({
  reason: label.optional(),
});

export const listKeysInput = z.strictObject({
  subject: label.optional(),
  tenant: label.optional(),
  status: z.enum(['active', 'revoked', 'expired']).optional(),
  after: z.string().max(100).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export type ListKeysInput = z.input<typeof listKeysInput>;

/** The names a rotation copies to the new key: a record stored before names were validated is not carried on. */
export const rotatedNames = createKeyInput.pick({ subject: true, name: true, tenant: true, roles: true, scopes: true });
