import type { FastifyInstance, FastifyPluginCallback } from 'fastify';
import type { Requirements } from '../authz/requirements.js';
import type { Warden } from '../engine.js';
import '../http/principal-augment.js';
import { sendDecision } from '../http/decision-answer.js';
import { stripIdentityHeaders } from '../http/identity-headers.js';
import { nodeRequestAttributes } from '../http/request-attributes.js';

export interface WardenFastifyOptions {
  /** Requirements for every route this plugin protects (per route: `config: { warden: {...} | false }`). */
  requirements?: Requirements;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Requirements for this route on top of the plugin's, or `false` to leave the route public. */
    warden?: Requirements | false;
  }
}

/**
 * Fastify plugin protecting routes in-process with the embedded engine. Registered at the root it applies to
 * every route (it is not encapsulated); registered inside a plugin it applies to that plugin's routes.
 *
 *   app.register(wardenFastify(warden), { requirements: { scopes: ['orders.read'] } })
 *
 * On allow `request.principal` holds the caller; on deny the reply is the decision endpoint's 401/403/503.
 */
export function wardenFastify(warden: Warden): FastifyPluginCallback<WardenFastifyOptions> {
  const plugin: FastifyPluginCallback<WardenFastifyOptions> = (app: FastifyInstance, options, done) => {
    app.addHook('onRequest', async (request, reply) => {
      // Client-sent X-Auth-* headers must never look as if Warden set them (SECURITY.md #48).
      stripIdentityHeaders(request.headers);
      const routeRequirements = request.routeOptions.config.warden;
      if (routeRequirements === false) return;
      const decision = await warden.decide(
        nodeRequestAttributes(request.raw, request.url),
        // Both levels must hold: a route adds to the plugin's requirements, never replaces them.
        [options.requirements ?? {}, routeRequirements ?? {}],
      );
      if (!decision.allow) return sendDecision(reply, decision);
      request.principal = decision.principal;
    });
    done();
  };
  // Fastify's documented switch for a plugin whose hooks apply to the context it is registered in.
  (plugin as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
  return plugin;
}
