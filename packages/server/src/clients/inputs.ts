import { ASYMMETRIC_ALGORITHMS } from '@warden/sdk/verifier';
import { z } from 'zod';
import { label, roleName, scopeToken } from '../identity/names.js';
import { metadataSchema } from '../keys/metadata.js';
import { parseDuration } from '../util/duration.js';

/** How a client proves who it is at the token endpoint (RFC 6749 section 2.3.1). One per client. */
export const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'] as const;
export type ClientAuthMethod = (typeof CLIENT_AUTH_METHODS)[number];

/**
 * The grant types a client may be allowed. A client with `refresh_token` gets a refresh token with each access
 * token and may exchange it at the token endpoint.
 */
export const CLIENT_GRANT_TYPES = ['client_credentials', 'refresh_token'] as const;
export type ClientGrantType = (typeof CLIENT_GRANT_TYPES)[number];

/** A client id: 16 base62 characters from the CSPRNG. Public (it is the `sub` of the client's tokens). */
export const CLIENT_ID_PATTERN = /^[0-9A-Za-z]{16}$/;

/**
 * An audience is what a token's `aud` names: a service name (`orders`) or a URI (`https://orders.example.com`).
 * Visible ASCII without space, `"` or `\` (the scope-token alphabet), so it is one value wherever it is written.
 */
export const audienceName = z
  .string()
  .regex(/^[\x21\x23-\x5b\x5d-\x7e]{1,200}$/, 'must be 1-200 of visible ASCII except " and \\ (no space)');

/** Each value once, in the order first given: a repeated flag or list item is not an error. */
const uniqueList = <T extends z.ZodType<string>>(item: T, max: number) =>
  z
    .array(item)
    .max(max)
    .transform((values) => [...new Set(values)]);

const durationText = z
  .string()
  .refine((value) => (parseDuration(value) ?? 0) >= 1000, {
    message: 'must be a duration of at least 1s, like 15m, 1h or 12h',
  })
  .transform((value) => parseDuration(value)!);

/** Members of a JWK that only a private or symmetric key has: a registered JWKS holds public keys only. */
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];

/** One public key of a private_key_jwt client (RFC 7517), asymmetric only: RSA, EC or OKP. */
const publicJwk = z
  .looseObject({
    kty: z.enum(['RSA', 'EC', 'OKP']),
    kid: z.string().min(1).max(200).optional(),
    alg: z.enum(ASYMMETRIC_ALGORITHMS).optional(),
    use: z.literal('sig').optional(),
  })
  .refine(
    (jwk) => PRIVATE_JWK_MEMBERS.every((member) => !(member in jwk)),
    'must be a public key: it holds private key material (never send a private key)',
  );

/** The JWKS a private_key_jwt client signs its assertions with (RFC 7523): 1-10 public keys. */
export const clientJwks = z.strictObject({ keys: z.array(publicJwk).min(1).max(10) });
export type ClientJwks = z.infer<typeof clientJwks>;

/**
 * One schema for registering a client, used by the admin API (JSON body), the CLI (flags) and the programmatic
 * API. Names that reach tokens and identity headers follow `identity/names.ts` (SECURITY.md #50).
 */
export const createClientInput = z
  .strictObject({
    name: label,
    /** The scopes the client may ask for; a token request without `scope` gets all of them. */
    scopes: uniqueList(scopeToken, 100).default([]),
    grantTypes: z
      .array(z.enum(CLIENT_GRANT_TYPES))
      .min(1)
      .transform((values) => [...new Set(values)])
      .default(['client_credentials']),
    /** The audiences the client may get tokens for; the first is the default. None: tokens name the issuer. */
    audiences: uniqueList(audienceName, 20).default([]),
    tenant: label.nullable().optional(),
    roles: uniqueList(roleName, 100).default([]),
    admin: z.boolean().default(false),
    /** May call `POST /oauth2/introspect` about any credential (a trusted daemon or gateway). */
    introspect: z.boolean().default(false),
    /** Lifetime of its access tokens (`15m`); default `tokens.access_token_ttl`. */
    tokenTtl: durationText.optional(),
    authMethod: z.enum(CLIENT_AUTH_METHODS).default('client_secret_basic'),
    /** The public keys of a private_key_jwt client; required for that method, refused for the others. */
    jwks: clientJwks.optional(),
    metadata: metadataSchema.default({}),
  })
  .superRefine((input, ctx) => {
    if (input.authMethod === 'private_key_jwt' && input.jwks === undefined) {
      ctx.addIssue({ code: 'custom', path: ['jwks'], message: 'is required for private_key_jwt: its public keys' });
    }
    if (input.authMethod !== 'private_key_jwt' && input.jwks !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['jwks'], message: 'is only for private_key_jwt clients' });
    }
  });
export type CreateClientInput = z.input<typeof createClientInput>;

export const rotateClientSecretInput = z.strictObject({
  /** How long the previous secret keeps working (default 0: it stops at once). */
  overlap: z
    .string()
    .refine(
      (value) => value === '0' || (parseDuration(value) ?? 0) > 0,
      'must be a positive duration like 30m, 12h or 7d, or 0',
    )
    .transform((value) => parseDuration(value) ?? 0)
    .optional(),
});
export type RotateClientSecretInput = z.input<typeof rotateClientSecretInput>;

export const listClientsInput = z.strictObject({
  status: z.enum(['active', 'disabled']).optional(),
  after: z.string().max(100).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export type ListClientsInput = z.input<typeof listClientsInput>;
