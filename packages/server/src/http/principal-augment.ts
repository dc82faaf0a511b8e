import type { Principal } from '@warden/sdk';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by Warden's guard on protected routes: who is calling. */
    principal?: Principal;
  }
}
