import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { WardenError } from '../errors/warden-error.js';

/**
 * Admin routes are declared once: zod schemas validate the request and also produce the OpenAPI document, so
 * the published contract cannot drift from what the code accepts.
 */
export interface RouteSpec<Body extends z.ZodType | undefined, Query extends z.ZodType | undefined> {
  method: 'GET' | 'POST' | 'DELETE' | 'PATCH';
  url: string;
  summary: string;
  tags: string[];
  body?: Body;
  query?: Query;
  /** Status -> description (and schema) of the answers. */
  responses: Record<number, { description: string; schema?: z.ZodType }>;
}

type Parsed<T> = T extends z.ZodType ? z.output<T> : undefined;

export class OpenApiRegistry {
  private readonly paths: Record<string, Record<string, unknown>> = {};

  constructor(private readonly info: { title: string; version: string }) {}

  route<Body extends z.ZodType | undefined, Query extends z.ZodType | undefined>(
    app: FastifyInstance,
    spec: RouteSpec<Body, Query>,
    handler: (
      request: FastifyRequest,
      reply: FastifyReply,
      input: { body: Parsed<Body>; query: Parsed<Query>; params: Record<string, string> },
    ) => Promise<unknown>,
  ): void {
    this.document(spec);
    app.route({
      method: spec.method,
      url: spec.url,
      handler: async (request, reply) => {
        const body = spec.body ? validate(spec.body, request.body ?? {}, 'body') : undefined;
        const query = spec.query ? validate(spec.query, request.query ?? {}, 'query') : undefined;
        return handler(request, reply, {
          body: body as Parsed<Body>,
          query: query as Parsed<Query>,
          params: request.params as Record<string, string>,
        });
      },
    });
  }

  private document(spec: RouteSpec<z.ZodType | undefined, z.ZodType | undefined>): void {
    const openApiPath = spec.url.replace(/:([A-Za-z]+)/g, '{$1}');
    const parameters: unknown[] = [...openApiPath.matchAll(/\{([A-Za-z]+)\}/g)].map((match) => ({
      name: match[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    if (spec.query) {
      const schema = z.toJSONSchema(spec.query, { io: 'input', unrepresentable: 'any' }) as {
        properties?: Record<string, unknown>;
        required?: string[];
      };
      for (const [name, property] of Object.entries(schema.properties ?? {})) {
        parameters.push({ name, in: 'query', required: schema.required?.includes(name) ?? false, schema: property });
      }
    }
    const operation: Record<string, unknown> = {
      summary: spec.summary,
      tags: spec.tags,
      security: [{ bearerAuth: [] }, { apiKeyHeader: [] }],
      parameters,
      responses: Object.fromEntries(
        Object.entries(spec.responses).map(([status, response]) => [
          status,
          {
            description: response.description,
            content: {
              'application/json': {
                schema: response.schema
                  ? z.toJSONSchema(response.schema, { io: 'output', unrepresentable: 'any' })
                  : { $ref: '#/components/schemas/Error' },
              },
            },
          },
        ]),
      ),
    };
    if (spec.body) {
      operation.requestBody = {
        required: true,
        content: { 'application/json': { schema: z.toJSONSchema(spec.body, { io: 'input', unrepresentable: 'any' }) } },
      };
    }
    this.paths[openApiPath] ??= {};
    this.paths[openApiPath][spec.method.toLowerCase()] = operation;
  }

  toJSON(): Record<string, unknown> {
    return {
      openapi: '3.1.0',
      info: this.info,
      paths: this.paths,
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'An admin API key' },
          apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        },
        schemas: {
          Error: {
            type: 'object',
            required: ['error', 'message'],
            properties: { error: { type: 'string' }, message: { type: 'string' } },
          },
        },
      },
    };
  }
}

function validate<T extends z.ZodType>(schema: T, value: unknown, where: string): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') return `${where}: unknown field(s) ${issue.keys.join(', ')}`;
    const path = issue.path.length > 0 ? `${where}.${issue.path.join('.')}` : where;
    return `${path}: ${issue.message}`;
  });
  throw new WardenError('invalid_request', problems.join('; '));
}
