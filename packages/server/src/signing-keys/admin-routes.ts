import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { OpenApiRegistry } from '../http/openapi.js';
import { ADMIN_ERROR_RESPONSES, adminActor } from '../http/routes/admin-guard.js';
import { rotateSigningKeyInput, type SigningKeyService } from './service.js';

export const signingKeyViewSchema = z.object({
  kid: z.string(),
  algorithm: z.enum(['EdDSA', 'ES256', 'RS256']),
  state: z.enum(['next', 'active', 'retired', 'expired']),
  predecessor: z.string().nullable(),
  createdAt: z.string(),
  publishedAt: z.string(),
  activatedAt: z.string(),
  retiredAt: z.string().nullable(),
  expiresAt: z.string().nullable(),
});

/** `/v1/admin/signing-keys...`: the signing keys of Warden's JWTs, for admin principals. Never key material. */
export function registerAdminSigningKeyRoutes(
  scope: FastifyInstance,
  service: SigningKeyService,
  api: OpenApiRegistry,
): void {
  api.route(
    scope,
    {
      method: 'GET',
      url: '/v1/admin/signing-keys',
      summary: 'List signing keys with their state (next, active, retired, expired), newest first',
      tags: ['signing-keys'],
      responses: {
        200: { description: 'The keys', schema: z.object({ items: z.array(signingKeyViewSchema) }) },
        ...ADMIN_ERROR_RESPONSES,
      },
    },
    async () => ({ items: await service.list() }),
  );

  api.route(
    scope,
    {
      method: 'POST',
      url: '/v1/admin/signing-keys/rotate',
      summary:
        'Publish the next signing key; it signs after signing_keys.publish_ahead (at once with now: true), and ' +
        'the active key retires then',
      tags: ['signing-keys'],
      body: rotateSigningKeyInput,
      responses: {
        201: {
          description: 'Rotated',
          schema: z.object({ key: signingKeyViewSchema, previous: signingKeyViewSchema.nullable() }),
        },
        409: { description: 'A rotation is already pending (use now: true to activate it at once)' },
        ...ADMIN_ERROR_RESPONSES,
      },
    },
    async (request, reply, { body }) => {
      const by = adminActor(request);
      return reply.code(201).send(await service.rotate(body, by));
    },
  );
}
