import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { OpenApiRegistry } from '../http/openapi.js';
import { ADMIN_ERROR_RESPONSES, adminActor } from '../http/routes/admin-guard.js';
import { type PinService, pinInput } from './service.js';

const pinViewSchema = z.object({
  subject: z.string(),
  spkiSha256: z.string(),
  publicKey: z.string(),
  scopes: z.array(z.string()),
  roles: z.array(z.string()),
  tenant: z.string().nullable(),
  createdAt: z.string(),
  createdBy: z.string().nullable(),
});

/** `/v1/admin/pins...`: the public keys pinned per certificate subject (mTLS), for admin principals. */
export function registerAdminPinRoutes(scope: FastifyInstance, pins: PinService, api: OpenApiRegistry): void {
  api.route(
    scope,
    {
      method: 'POST',
      url: '/v1/admin/pins',
      summary: 'Pin a public key for a certificate subject (replacing the one pinned before)',
      tags: ['pins'],
      body: pinInput,
      responses: { 201: { description: 'Pinned', schema: pinViewSchema }, ...ADMIN_ERROR_RESPONSES },
    },
    async (request, reply) => reply.code(201).send(await pins.pin(request.body as never, adminActor(request))),
  );

  api.route(
    scope,
    {
      method: 'GET',
      url: '/v1/admin/pins',
      summary: 'List pinned public keys',
      tags: ['pins'],
      responses: {
        200: { description: 'The pins', schema: z.object({ items: z.array(pinViewSchema) }) },
        ...ADMIN_ERROR_RESPONSES,
      },
    },
    async () => ({ items: await pins.list() }),
  );

  api.route(
    scope,
    {
      method: 'GET',
      url: '/v1/admin/pins/:subject',
      summary: 'Show the key pinned for a subject',
      tags: ['pins'],
      responses: {
        200: { description: 'The pin', schema: pinViewSchema },
        404: { description: 'None' },
        ...ADMIN_ERROR_RESPONSES,
      },
    },
    async (_request, _reply, { params }) => pins.show(params.subject!),
  );

  api.route(
    scope,
    {
      method: 'DELETE',
      url: '/v1/admin/pins/:subject',
      summary: 'Unpin: certificates of this subject are refused at once on this instance',
      tags: ['pins'],
      responses: {
        200: { description: 'Unpinned', schema: z.object({ subject: z.string(), unpinned: z.literal(true) }) },
        404: { description: 'None' },
        ...ADMIN_ERROR_RESPONSES,
      },
    },
    async (request, _reply, { params }) => pins.unpin(params.subject!, adminActor(request)),
  );
}
