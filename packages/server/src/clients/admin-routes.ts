import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { OpenApiRegistry } from '../http/openapi.js';
import { ADMIN_ERROR_RESPONSES, adminActor } from '../http/routes/admin-guard.js';
import { nextPageCursor } from '../keys/answers.js';
import {
  CLIENT_AUTH_METHODS,
  CLIENT_GRANT_TYPES,
  createClientInput,
  listClientsInput,
  rotateClientSecretInput,
} from './inputs.js';
import type { OAuthClientService } from './service.js';

export const clientViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  status: z.enum(['active', 'disabled']),
  authMethod: z.enum(CLIENT_AUTH_METHODS),
  jwks: z.object({ keys: z.array(z.record(z.string(), z.unknown())) }).nullable(),
  grantTypes: z.array(z.enum(CLIENT_GRANT_TYPES)),
  scopes: z.array(z.string()),
  audiences: z.array(z.string()),
  tenant: z.string().nullable(),
  roles: z.array(z.string()),
  admin: z.boolean(),
  introspect: z.boolean(),
  tokenTtlSeconds: z.number().nullable(),
  metadata: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  createdBy: z.string().nullable(),
  disabledAt: z.string().nullable(),
  updatedAt: z.string(),
  previousSecretExpiresAt: z.string().nullable(),
});

const issuedSecretSchema = z.object({
  client_id: z.string(),
  client_secret: z
    .string()
    .nullable()
    .describe('The plaintext secret: shown once, store it now (null for a private_key_jwt client)'),
  client: clientViewSchema,
});

const NOT_FOUND = { 404: { description: 'No such client' } } as const;

/** `/v1/admin/clients...`: OAuth 2.0 client management for admin principals. Never a secret but once. */
export function registerAdminClientRoutes(scope: FastifyInstance, clients: OAuthClientService, api: OpenApiRegistry) {
  api.route(
    scope,
    {
      method: 'POST',
      url: '/v1/admin/clients',
      summary: 'Register an OAuth 2.0 client (the secret is in this response only)',
      tags: ['clients'],
      body: createClientInput,
      responses: { 201: { description: 'Created', schema: issuedSecretSchema }, ...ADMIN_ERROR_RESPONSES },
    },
    async (request, reply) => {
      const issued = await clients.create(request.body as never, adminActor(request));
      return reply.code(201).header('cache-control', 'no-store').send(issued);
    },
  );

  api.route(
    scope,
    {
      method: 'GET',
      url: '/v1/admin/clients',
      summary: 'List OAuth 2.0 clients (never a secret or digest)',
      tags: ['clients'],
      query: listClientsInput,
      responses: {
        200: {
          description: 'A page of clients',
          schema: z.object({ items: z.array(clientViewSchema), next: z.string().nullable() }),
        },
        ...ADMIN_ERROR_RESPONSES,
      },
    },
    async (request, _reply, { query }) => {
      const items = await clients.list(request.query as never);
      return { items, next: nextPageCursor(items, query.limit) };
    },
  );

  api.route(
    scope,
    {
      method: 'GET',
      url: '/v1/admin/clients/:id',
      summary: 'Show one OAuth 2.0 client',
      tags: ['clients'],
      responses: {
        200: { description: 'The client', schema: clientViewSchema },
        ...NOT_FOUND,
        ...ADMIN_ERROR_RESPONSES,
      },
    },
    async (_request, _reply, { params }) => clients.show(params.id!),
  );

  api.route(
    scope,
    {
      method: 'POST',
      url: '/v1/admin/clients/:id/rotate-secret',
      summary: "Replace a client's secret; the previous one keeps working for the overlap window",
      tags: ['clients'],
      body: rotateClientSecretInput,
      responses: {
        201: { description: 'Rotated', schema: issuedSecretSchema },
        ...NOT_FOUND,
        409: { description: 'Changed meanwhile' },
        ...ADMIN_ERROR_RESPONSES,
      },
    },
    async (request, reply, { params }) => {
      const rotated = await clients.rotateSecret(params.id!, (request.body ?? {}) as never, adminActor(request));
      return reply.code(201).header('cache-control', 'no-store').send(rotated);
    },
  );

  for (const [action, summary, conflict] of [
    ['disable', 'Disable a client: its token requests are refused from now on', 'Already disabled'],
    ['enable', 'Enable a disabled client', 'Not disabled'],
  ] as const) {
    api.route(
      scope,
      {
        method: 'POST',
        url: `/v1/admin/clients/:id/${action}`,
        summary,
        tags: ['clients'],
        responses: {
          200: { description: 'The client', schema: clientViewSchema },
          ...NOT_FOUND,
          409: { description: conflict },
          ...ADMIN_ERROR_RESPONSES,
        },
      },
      async (request, _reply, { params }) => clients[action](params.id!, adminActor(request)),
    );
  }

  api.route(
    scope,
    {
      method: 'DELETE',
      url: '/v1/admin/clients/:id',
      summary: 'Delete a client; the answer is the client as it was',
      tags: ['clients'],
      responses: { 200: { description: 'Deleted', schema: clientViewSchema }, ...NOT_FOUND, ...ADMIN_ERROR_RESPONSES },
    },
    async (request, _reply, { params }) => clients.delete(params.id!, adminActor(request)),
  );
}
