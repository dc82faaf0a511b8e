import { TokenVerificationError } from '@warden/sdk/verifier';
import type { Logger } from 'pino';
import { createBasicAuth } from './authn/basic-capability.js';
import { AuthenticatorChain } from './authn/chain.js';
import { FailureAuditor } from './authn/failure-auditor.js';
import type { AuthResult, RequestAttributes } from './authn/types.js';
import { allowAnyValidCredential, type Decision, decide, denyDecision, type RuleMatcher } from './authz/decide.js';
import type { RequirementLevels, Requirements } from './authz/requirements.js';
import type { Capability, CapabilityContext } from './capability.js';
import { createOAuthClients } from './clients/capability.js';
import type { OAuthClientService } from './clients/service.js';
import { parseConfig } from './config/load.js';
import type { WardenConfig, WardenConfigInput } from './config/schema.js';
import { checkAttributesArgument, checkCreateWardenOptions, checkRequirementsArgument } from './engine-arguments.js';
import { checkPepperFingerprint, loadServerSecrets } from './issue/server-secrets.js';
import { createTrustedIssuers } from './issuers/capability.js';
import { createApiKeys } from './keys/capability.js';
import type { ApiKeyService, IssuedKey } from './keys/service.js';
import { createMtls } from './mtls/capability.js';
import { PinRegistryUnavailableError } from './mtls/pins/remote-registry.js';
import type { PinService } from './mtls/service.js';
import { createLogger } from './observability/logger.js';
import { Metrics } from './observability/metrics.js';
import type { RuleConfig } from './rules/config.js';
import { type MatchedRule, RuleSet } from './rules/rule-set.js';
import { createSigningKeys, type SigningKeys } from './signing-keys/capability.js';
import { discoveryDocument } from './signing-keys/discovery.js';
import { AuditRepository } from './store/audit.js';
import { type Database, openDatabase } from './store/database.js';
import { migrateToLatest, ping } from './store/migrations.js';
import { SettingsRepository } from './store/settings.js';
import { createTokenStatus } from './token-status/capability.js';
import { createAccessTokens } from './tokens/capability.js';
import { isPromise, type MaybePromise } from './util/maybe-promise.js';

export interface CreateWardenOptions {
  /** Configuration in the YAML shape (validated here), e.g. `{ database: { url: 'sqlite:./warden.db' } }`. */
  config?: WardenConfigInput | WardenConfig;
  logger?: Logger;
  /** Bring the schema up to date on start (default true). */
  migrate?: boolean;
  /** Start the cache invalidation poller and last-used write-behind (default true; the CLI turns them off). */
  background?: boolean;
  /** Clock in epoch milliseconds; tests freeze it. */
  now?: () => number;
  /** Collect Node's process metrics too (the server does; embedded engines leave that to the host). */
  processMetrics?: boolean;
}

/** The engine `warden serve` runs, also embeddable in a service (programmatic mode). */
export interface Warden {
  readonly config: WardenConfig;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly database: Database;
  readonly audit: AuditRepository;
  /** Everything this engine can do, in chain order; the HTTP app registers each one's admin routes. */
  readonly capabilities: readonly Capability[];
  /** API key management (create, list, show, revoke, rotate, verify): the API keys capability's service. */
  readonly keys: ApiKeyService;
  /** Signing keys (list, rotate), the token signer, verification keys and the JWKS: the signing-keys capability. */
  readonly signingKeys: SigningKeys;
  /** OAuth 2.0 client management (create, list, show, rotate-secret, disable, enable, delete): the clients capability. */
  readonly clients: OAuthClientService;
  /** Public keys pinned per client-certificate subject (pin, unpin, list, show): the mTLS capability's service. */
  readonly pins: PinService;
  /**
   * Who is calling? A denial is a value (`{ok: false, code}`); storage faults reject, and so do attributes that
   * are not {@link RequestAttributes} (`invalid_request`).
   */
  authenticate(attributes: RequestAttributes): Promise<AuthResult>;
  /**
   * Who is calling, and may they? `requirements` is one level or several (a plugin's and a route's), all of
   * which must hold. A storage fault is a 503 `unavailable` decision, never a rejection; the only rejection is
   * `invalid_request` for arguments that are not well-formed (a programming mistake, e.g. `scope` for `scopes`).
   */
  decide(attributes: RequestAttributes, requirements?: Requirements | RequirementLevels): Promise<Decision>;
  /**
   * `decide`, answered synchronously when no I/O is needed (a verified credential in cache): the decision
   * endpoint's hot path. A promise only when storage must be read. Malformed requirements throw
   * `invalid_request`; the attributes are not checked (the caller builds them, and anything wrong in them
   * fails closed as a 503 decision); nothing else throws.
   */
  decideNow(attributes: RequestAttributes, requirements?: Requirements | RequirementLevels): MaybePromise<Decision>;
  /** Creates the first admin key if this deployment never had one and has no static keys; null otherwise. */
  bootstrapAdminKey(): Promise<IssuedKey | null>;
  /**
   * Which access rule applies to these attributes (`rules` and `default_rule`; without rules, any valid
   * credential): what `warden rules test` prints.
   */
  matchRule(attributes: RequestAttributes): MatchedRule;
  /**
   * Replaces the access rules (a reload: SIGHUP or a changed file). Rules that cannot be used throw
   * (`RuleSetError`) and the old rules stay; decisions in flight keep the rules they started with.
   */
  replaceRules(rules: readonly RuleConfig[], defaultRule?: RuleConfig): void;
  /** Resolves when storage answers; rejects otherwise. */
  ready(): Promise<void>;
  /**
   * Picks up key changes and token revocations made by other processes now (what the background pollers do
   * periodically).
   */
  syncKeyChanges(): Promise<void>;
  /**
   * Resolves once what the hot path left behind is written: failure audit records and last-used times. A
   * decision never waits for these; shutdown and tests do.
   */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export async function createWarden(options: CreateWardenOptions = {}): Promise<Warden> {
  checkCreateWardenOptions(options);
  const config = parseConfig(structuredClone(options.config ?? {}) as WardenConfigInput);
  const now = options.now ?? Date.now;
  const logger = options.logger ?? createLogger(config.log.level);
  const metrics = new Metrics({ defaultMetrics: options.processMetrics ?? false });
  const database = openDatabase(config.database.url!, {
    poolSize: config.database.pool_size,
    queryTimeoutMs: config.database.query_timeout,
    onConnectionError: (error) => {
      metrics.storageFaults.inc({ operation: 'connection' });
      logger.warn({ err: error }, 'a database connection broke; it is replaced on the next query');
    },
  });
  try {
    if (options.migrate !== false) await migrateToLatest(database.db as never, database.dialect);
    const secrets = loadServerSecrets(config.secrets, config.data_dir);
    const settings = new SettingsRepository(database.db);
    await checkPepperFingerprint(settings, secrets.pepper);
    const context: CapabilityContext = {
      config,
      database,
      secrets,
      settings,
      audit: new AuditRepository(database.db),
      logger,
      metrics,
      now,
      reportFault(operation, error) {
        metrics.storageFaults.inc({ operation });
        logger.error({ err: error }, `${operation} failed`);
      },
    };
    return assemble(context, options);
  } catch (error) {
    await database.close();
    throw error;
  }
}

/** The matcher of the configured rules; without rules, every request needs any valid credential. */
function ruleMatcher(rules: readonly RuleConfig[], defaultRule: RuleConfig | undefined): RuleMatcher {
  if (rules.length === 0) return allowAnyValidCredential;
  const set = new RuleSet(rules, defaultRule);
  return (attributes) => set.match(attributes);
}

/** Builds the capabilities, the authenticator chain over theirs, and the engine around them. */
function assemble(context: CapabilityContext, options: CreateWardenOptions): Warden {
  const { config, database, audit, logger, metrics } = context;
  // Built first: the chain and the token endpoint (clients capability) share its budgets.
  const failures = new FailureAuditor({
    audit,
    limits: {
      perCredential: config.audit.failures_per_minute,
      perPeer: config.audit.failures_per_peer_per_minute,
      perInstance: config.audit.failures_per_instance_per_minute,
    },
    logger,
    now: context.now,
    onSuppressed: () => metrics.auditSuppressed.inc(),
  });
  const apiKeys = createApiKeys(context);
  // Chain order: each capability's authenticators in this order. New capabilities are added here.
  // The discovery documents merge what every capability contributes; read at request time, once all are built.
  const signingKeys = createSigningKeys(context, { discovery: () => discoveryDocument(capabilities, config.issuer) });
  const issuers = createTrustedIssuers(context);
  const accessTokens = createAccessTokens(context, { keys: signingKeys, externalVerifiers: issuers.verifiers });
  const clients = createOAuthClients(context, {
    signer: signingKeys.signer,
    failures,
    revocations: accessTokens.revocations,
  });
  const tokenStatus = createTokenStatus(context, { apiKeys, clients, accessTokens, failures });
  const basic = createBasicAuth({ apiKeys, clients });
  const mtls = createMtls(context);
  const capabilities: readonly Capability[] = [
    apiKeys,
    signingKeys,
    clients,
    issuers,
    accessTokens,
    tokenStatus,
    basic,
    mtls,
  ];
  const chain = new AuthenticatorChain(
    capabilities.flatMap((capability) => capability.authenticators),
    failures,
  );
  if (options.background !== false) for (const capability of capabilities) capability.start();
  let matchRule = ruleMatcher(config.rules, config.default_rule);
  const flush = async () => {
    await Promise.all([failures.flush(), ...capabilities.map((capability) => capability.flush())]);
  };
  let closed = false;

  /** A fault (storage, or an external issuer's keys that cannot be fetched) is a 503 decision: fail closed. */
  const failClosed = (error: unknown): Decision => {
    if (error instanceof TokenVerificationError) {
      metrics.storageFaults.inc({ operation: 'issuer_keys' });
      logger.error({ err: error }, "decision failed closed: an external issuer's keys could not be fetched");
    } else if (error instanceof PinRegistryUnavailableError) {
      metrics.storageFaults.inc({ operation: 'pin_registry' });
      logger.error({ err: error }, 'decision failed closed: the certificate pin registry did not answer');
    } else {
      metrics.storageFaults.inc({ operation: 'decide' });
      logger.error({ err: error }, 'decision failed closed: storage fault');
    }
    return denyDecision('unavailable');
  };
  /** `started` is 0n for decisions that are not timed (see Metrics.timeThisDecision). */
  const counted = (decision: Decision, started: bigint): Decision => {
    metrics.countDecision(decision.allow, decision.allow ? decision.principal.credential.kind : decision.code);
    if (started !== 0n) {
      metrics.observeDecisionSeconds(decision.allow, Number(process.hrtime.bigint() - started) / 1e9);
    }
    return decision;
  };
  function decideNow(
    attributes: RequestAttributes,
    requirements?: Requirements | RequirementLevels,
  ): MaybePromise<Decision> {
    checkRequirementsArgument(requirements);
    const started = metrics.timeThisDecision() ? process.hrtime.bigint() : 0n;
    let decision: MaybePromise<Decision>;
    try {
      decision = decide(chain, attributes, matchRule, requirements, config.server.login_url);
    } catch (error) {
      return counted(failClosed(error), started);
    }
    return isPromise(decision)
      ? decision.then(
          (settled) => counted(settled, started),
          (error: unknown) => counted(failClosed(error), started),
        )
      : counted(decision, started);
  }

  return {
    config,
    logger,
    metrics,
    database,
    audit,
    capabilities,
    keys: apiKeys.service,
    signingKeys,
    clients: clients.service,
    pins: mtls.pins,
    async authenticate(attributes) {
      checkAttributesArgument(attributes);
      return chain.authenticate(attributes);
    },
    decideNow,
    async decide(attributes, requirements) {
      checkAttributesArgument(attributes);
      return decideNow(attributes, requirements);
    },
    bootstrapAdminKey: () => apiKeys.bootstrapAdminKey(),
    matchRule: (attributes) => matchRule(attributes),
    replaceRules(rules, defaultRule) {
      matchRule = ruleMatcher(rules, defaultRule);
    },
    ready: () => ping(database.db as never),
    syncKeyChanges: async () => {
      await Promise.all([apiKeys.syncChanges(), accessTokens.revocations.pollOnce()]);
    },
    flush,
    async close() {
      if (closed) return;
      closed = true;
      for (const capability of capabilities) await capability.stop();
      await failures.flush();
      await database.close();
      logger.flush?.();
    },
  };
}
