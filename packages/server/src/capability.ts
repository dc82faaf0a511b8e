import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Authenticator } from './authn/types.js';
import type { WardenConfig } from './config/schema.js';
import type { OpenApiRegistry } from './http/openapi.js';
import type { ServerSecrets } from './issue/server-secrets.js';
import type { Metrics } from './observability/metrics.js';
import type { AuditRepository } from './store/audit.js';
import type { Database } from './store/database.js';
import type { SettingsRepository } from './store/settings.js';

/** What every capability is built from: the engine makes one and hands it to each capability's factory. */
export interface CapabilityContext {
  config: WardenConfig;
  database: Database;
  secrets: ServerSecrets;
  settings: SettingsRepository;
  audit: AuditRepository;
  logger: Logger;
  metrics: Metrics;
  /** Clock in epoch milliseconds (tests freeze it). */
  now: () => number;
  /** Reports a failed storage operation of a background task: counted in metrics and logged, never thrown. */
  reportFault(operation: string, error: unknown): void;
}

/**
 * One thing Warden can do (API keys today; clients, tokens, issuers, users next), wired in one place: its
 * factory builds its repositories, caches and services from a {@link CapabilityContext}, and the engine only
 * loops over what it returns. A new capability is a new folder with a factory, and one line in `engine.ts`.
 */
export interface Capability {
  readonly name: string;
  /** Its authenticators, in the order the chain tries them (after those of capabilities listed before it). */
  readonly authenticators: readonly Authenticator[];
  /** Its admin API routes, registered as their own Fastify plugin behind the admin guard. */
  readonly adminRoutes?: (scope: FastifyInstance, api: OpenApiRegistry) => void;
  /**
   * Its public routes (discovery documents, the OAuth 2.0 endpoints), outside the admin guard: each
   * authenticates its callers itself, as its protocol says.
   */
  readonly publicRoutes?: (scope: FastifyInstance, api: OpenApiRegistry) => void;
  /**
   * What it adds to the authorization server metadata (RFC 8414 `/.well-known/oauth-authorization-server` and
   * `/.well-known/openid-configuration`): its endpoints and what they support, as absolute URLs under `issuer`.
   */
  readonly discoveryMetadata?: (issuer: string) => Record<string, unknown>;
  /** Starts its background tasks (pollers, write-behind); engines of short-lived CLI commands do not. */
  start(): void;
  /** Writes what its hot path keeps in memory (last-used times...): shutdown and tests await it. */
  flush(): Promise<void>;
  /** Stops its background tasks after a last flush. */
  stop(): Promise<void>;
}
