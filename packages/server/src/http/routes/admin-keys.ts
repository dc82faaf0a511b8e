import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { nextPageCursor, verificationAnswer } from '../../keys/answers.js';
import { createKeyInput, listKeysInput, revokeKeyInput, rotateKeyInput } from '../../keys/inputs.js';
import type { ApiKeyService } from '../../keys/service.js';
import type { OpenApiRegistry } from '../openapi.js';
import { ADMIN_ERROR_RESPONSES, adminActor } from './admin-guard.js';

export const apiKeyViewSchema = z.object({
  id: z.string(),
  prefix: z.string(),
  name: z.string().nullable(),
  subject: z.string(),
  subjectType: z.string(),
  tenant: z.string().nullable(),
  admin: z.boolean(),
  roles: z.array(z.string()),
  scopes: z.array(z.string()),
  metadata: z.record(z.string(), z.unknown()),
  status: z.enum(['active', 'expired', 'revoked']),
  createdAt: z.string(),
  createdBy: z.string().nullable(),
  expiresAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
  revokedReason: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
  rotatedFrom: z.string().nullable(),
  rotatedTo: z.string().nullable(),
});

const issuedKeySchema = z.object({
  key: z.string().describe('The plaintext key: shown once, store it now'),
  record: apiKeyViewSchema,
});
const verifyInput = z.strictObject({ key: z.string().min(1).max(8192) });
const verifyResult = z.object({
  valid: z.boolean(),
  code: z.string().optional(),
  principal: z.record(z.string(), z.unknown()).optional(),
});

/** `/v1/admin/keys...`: API key management for admin principals. Handlers pass the raw body to the service. */
export function registerAdminKeyRoutes(scope: FastifyInstance, keys: ApiKeyService, api: OpenApiRegistry): void {
  api.route(
    scope,
    {
      method: 'POST',
      url: '/v1/admin/keys',
      summary: 'Create an API key (the plaintext key is in this response only)',
      tags: ['keys'],
      body: createKeyInput,
      responses: { 201: { description: 'Created', schema: issuedKeySchema }, ...ADMIN_ERROR_RESPONSES },
    },
    async (request, reply) => {
      const issued = await keys.create(request.body as never, adminActor(request));
      return reply.code(201).header('cache-control', 'no-store').send(issued);
    },
  );

  api.route(
    scope,
    {
      method: 'GET',
      url: '/v1/admin/keys',
      summary: 'List API keys (never a secret or digest)',
      tags: ['keys'],
      query: listKeysInput,
      responses: {
        200: {
          description: 'A page of keys',
          schema: z.object({ items: z.array(apiKeyViewSchema), next: z.string().nullable() }),
        },
        ...ADMIN_ERROR_RESPONSES,
      },
    },
    async (request, _reply, { query }) => {
      const items = await keys.list(request.query as never);
      return { items, next: nextPageCursor(items, query.limit) };
    },
  );

  api.route(
    scope,
    {
      method: 'POST',
      url: '/v1/admin/keys/verify',
      summary: 'Verify a key as the decision endpoint would',
      tags: ['keys'],
      body: verifyInput,
      responses: { 200: { description: 'The verdict', schema: verifyResult }, ...ADMIN_ERROR_RESPONSES },
    },
    async (_request, _reply, { body }) => {
      return verificationAnswer(await keys.verify(body.key));
    },
  );

  api.route(
    scope,
    {
      method: 'GET',
      url: '/v1/admin/keys/:id',
      summary: 'Show one API key',
      tags: ['keys'],
      responses: {
        200: { description: 'The key', schema: apiKeyViewSchema },
        404: { description: 'No such key' },
        ...ADMIN_ERROR_RESPONSES,
      },
    },
    async (_request, _reply, { params }) => keys.show(params.id!),
  );

  api.route(
    scope,
    {
      method: 'POST',
      url: '/v1/admin/keys/:id/revoke',
      summary: 'Revoke an API key (effective at once on this instance, within the published bound elsewhere)',
      tags: ['keys'],
      body: revokeKeyInput,
      responses: {
        200: { description: 'Revoked', schema: apiKeyViewSchema },
        404: { description: 'No such key' },
        409: { description: 'Already revoked' },
        ...ADMIN_ERROR_RESPONSES,
      },
    },
    async (request, _reply, { params }) => keys.revoke(params.id!, (request.body ?? {}) as never, adminActor(request)),
  );

  api.route(
    scope,
    {
      method: 'POST',
      url: '/v1/admin/keys/:id/rotate',
      summary: 'Rotate an API key; the old key keeps working for the overlap window',
      tags: ['keys'],
      body: rotateKeyInput,
      responses: {
        201: { description: 'Rotated', schema: issuedKeySchema.extend({ previous: apiKeyViewSchema }) },
        404: { description: 'No such key' },
        409: { description: 'Revoked, expired or already rotated' },
        ...ADMIN_ERROR_RESPONSES,
      },
    },
    async (request, reply, { params }) => {
      const rotated = await keys.rotate(params.id!, (request.body ?? {}) as never, adminActor(request));
      return reply.code(201).header('cache-control', 'no-store').send(rotated);
    },
  );
}
