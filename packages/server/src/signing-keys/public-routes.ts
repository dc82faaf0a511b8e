import type { FastifyInstance } from 'fastify';
import type { JSONWebKeySet } from 'jose';
import { JWKS_MAX_AGE_SECONDS } from './algorithms.js';

/** How long relying parties may cache the discovery documents. */
export const DISCOVERY_MAX_AGE_SECONDS = 300;

export interface PublicSigningKeyRoutes {
  /** The published keys. */
  jwks: () => Promise<JSONWebKeySet>;
  /** The authorization server metadata, every capability's part merged (engine.ts provides it). */
  discovery: () => Record<string, unknown>;
}

/**
 * The public, unauthenticated documents relying parties read: `/.well-known/jwks.json` (the keys that verify
 * Warden's tokens) and the authorization server metadata under both of its names, RFC 8414
 * `/.well-known/oauth-authorization-server` and OpenID Connect `/.well-known/openid-configuration`.
 */
export function registerPublicSigningKeyRoutes(scope: FastifyInstance, routes: PublicSigningKeyRoutes): void {
  scope.get('/.well-known/jwks.json', async (_request, reply) =>
    reply
      .header('cache-control', `public, max-age=${JWKS_MAX_AGE_SECONDS}`)
      .type('application/jwk-set+json; charset=utf-8')
      .send(await routes.jwks()),
  );
  for (const url of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
    scope.get(url, async (_request, reply) =>
      reply.header('cache-control', `public, max-age=${DISCOVERY_MAX_AGE_SECONDS}`).send(routes.discovery()),
    );
  }
}
