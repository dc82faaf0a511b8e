import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Warden } from '../../engine.js';
import { sendDecision } from '../decision-answer.js';
import { nodeRequestAttributes, pathOf, peerAddress } from '../request-attributes.js';

const ADMIN_PREFIX = '/v1/admin/';

/** True for request targets under the admin API (`/v1/admin`, `/v1/admin/...`, with or without a query). */
export function isAdminTarget(url: string): boolean {
  return url.startsWith(ADMIN_PREFIX) || pathOf(url) === ADMIN_PREFIX.slice(0, -1);
}

/**
 * Authenticates an admin request: the same pipeline as the decision endpoint, on the admin request itself
 * (forwarded headers never redirect it to another path). On refusal the deny answer is sent and false returned;
 * on success the principal is set on the request.
 */
export async function authenticateAdmin(
  warden: Warden,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<boolean> {
  const decision = await warden.decide(nodeRequestAttributes(request.raw, request.url), { admin: true });
  if (!decision.allow) {
    sendDecision(reply, decision);
    return false;
  }
  request.principal = decision.principal;
  return true;
}

/**
 * Every admin route needs an admin principal, checked before anything else about the request is looked at.
 * Requests under /v1/admin/ that match no route (unknown paths, malformed URLs) are authenticated first too, by
 * the app's not-found and framework-error handlers, so an anonymous caller learns nothing about the admin API.
 */
export function requireAdmin(scope: FastifyInstance, warden: Warden): void {
  scope.addHook('onRequest', async (request, reply) => {
    if (!(await authenticateAdmin(warden, request, reply))) return reply;
  });
}

/** The answers every guarded admin route may give besides its own, for its OpenAPI description. */
export const ADMIN_ERROR_RESPONSES = {
  400: { description: 'Invalid request' },
  401: { description: 'Missing or invalid admin credential' },
  403: { description: 'Not an admin credential' },
} as const;

/** Who made an admin request, for the audit record: the admin principal the guard set, and the peer address. */
export function adminActor(request: { principal?: { subject: string }; raw: Parameters<typeof peerAddress>[0] }) {
  return { actor: request.principal?.subject ?? 'unknown', peer: peerAddress(request.raw) };
}
