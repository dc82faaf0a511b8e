import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Warden } from '../../engine.js';
import { auditFilterInput } from '../../store/audit.js';
import type { OpenApiRegistry } from '../openapi.js';

const auditEventSchema = z.object({
  id: z.number(),
  at: z.string(),
  action: z.string(),
  outcome: z.enum(['success', 'failure']),
  actor: z.string().nullable(),
  targetType: z.string().nullable(),
  targetId: z.string().nullable(),
  reason: z.string().nullable(),
  peer: z.string().nullable(),
  details: z.record(z.string(), z.unknown()).nullable(),
});

/** `GET /v1/admin/audit`: the audit log, newest first. */
export function registerAdminAuditRoutes(scope: FastifyInstance, warden: Warden, api: OpenApiRegistry): void {
  api.route(
    scope,
    {
      method: 'GET',
      url: '/v1/admin/audit',
      summary: 'List audit events, newest first',
      tags: ['audit'],
      query: auditFilterInput,
      responses: {
        200: {
          description: 'A page of events',
          schema: z.object({ items: z.array(auditEventSchema), next: z.number().nullable() }),
        },
      },
    },
    async (_request, _reply, { query }) => {
      const events = await warden.audit.list(query);
      return {
        items: events.map((event) => ({ ...event, at: new Date(event.at).toISOString() })),
        next: events.length === query.limit ? (events.at(-1)?.id ?? null) : null,
      };
    },
  );
}
