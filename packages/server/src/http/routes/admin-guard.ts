import type { FastifyInstance } from 'fastify';
import type { Warden } from '../../engine.js';
import { sendDecision } from '../decision-answer.js';
import { decisionAttributes, pathOf, TrustedProxies } from '../request-attributes.js';

/**
 * Every admin route needs an admin principal. The guard runs the same pipeline as the decision endpoint, on the
 * admin request itself (forwarded headers never redirect it to another path).
 */
export function requireAdmin(scope: FastifyInstance, warden: Warden): void {
  scope.addHook('onRequest', async (request, reply) => {
    const attributes = decisionAttributes(request.raw, pathOf(request.url), TrustedProxies.NONE);
    const decision = await warden.decide(attributes, { admin: true });
    if (!decision.allow) return sendDecision(reply, decision);
    request.principal = decision.principal;
  });
}
