import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';
import Provider from 'oidc-provider';

/**
 * An independent OAuth 2.0 authorization server for tests: oidc-provider in-process on 127.0.0.1 with an
 * ephemeral port, real endpoints (discovery, token, authorization, interactions), clients kept in a map so a
 * test can disable one, and a password grant (oidc-provider ships none) speaking two OTP dialects.
 */

type ClientMetadata = Record<string, unknown> & { client_id: string };

export interface TestUser {
  password: string;
  /** The one-time password this user must send, and how the server asks for it. */
  otp?: { code: string; style: 'standard' | 'keycloak' };
}

export interface TestAuthorizationServer {
  issuer: string;
  tokenUrl: string;
  provider: Provider;
  /** Lifetime in seconds of the next access tokens issued. */
  setAccessTokenTtl(seconds: number): void;
  addClient(metadata: ClientMetadata): void;
  removeClient(clientId: string): void;
  users: Map<string, TestUser>;
  /** Count of token endpoint requests by grant_type. */
  tokenRequests: Map<string, number>;
  /** The account the auto-consenting login screen signs in. */
  setLoginAccount(accountId: string): void;
  /** Make the next authorization requests end with ?error=access_denied. */
  setDenyLogins(deny: boolean): void;
  /** RFC 7662 introspection of a token, as a resource server authenticated as `client` would ask. */
  introspect(token: string, client: { id: string; secret: string }): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

/**
 * A `fetch` for the credential manager that remembers the last refresh token the server issued, so a test can
 * play "a user who logged in elsewhere" and hand that token to an `oauth2_tokens` credential.
 */
export function captureRefreshTokens(): { fetch: typeof fetch; latest(): string } {
  let refreshToken = '';
  return {
    fetch: async (input, init) => {
      const response = await fetch(input, init);
      const body = (await response
        .clone()
        .json()
        .catch(() => ({}))) as { refresh_token?: string };
      if (body.refresh_token) refreshToken = body.refresh_token;
      return response;
    },
    latest: () => refreshToken,
  };
}

export interface AuthorizationServerOptions {
  /** Signing key for access tokens; generated when absent. */
  signingJwk?: JWK;
  /** Resource servers (for JWT access tokens via RFC 8707 `resource`). */
  resourceServers?: Record<string, { audience: string; scope: string; ttlSeconds?: () => number }>;
}

class MapAdapter {
  static stores = new Map<string, Map<string, { payload: Record<string, unknown>; expiresAt: number | null }>>();
  readonly store: Map<string, { payload: Record<string, unknown>; expiresAt: number | null }>;
  constructor(
    readonly model: string,
    stores: Map<string, Map<string, { payload: Record<string, unknown>; expiresAt: number | null }>>,
  ) {
    let store = stores.get(model);
    if (!store) {
      store = new Map();
      stores.set(model, store);
    }
    this.store = store;
  }
  async upsert(id: string, payload: Record<string, unknown>, expiresIn?: number) {
    this.store.set(id, { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : null });
  }
  async find(id: string) {
    const entry = this.store.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt !== null && entry.expiresAt < Date.now()) return undefined;
    return entry.payload;
  }
  async findByUserCode(userCode: string) {
    for (const entry of this.store.values()) if (entry.payload['userCode'] === userCode) return entry.payload;
    return undefined;
  }
  async findByUid(uid: string) {
    for (const entry of this.store.values()) if (entry.payload['uid'] === uid) return entry.payload;
    return undefined;
  }
  async consume(id: string) {
    const entry = this.store.get(id);
    if (entry) entry.payload['consumed'] = Math.floor(Date.now() / 1000);
  }
  async destroy(id: string) {
    this.store.delete(id);
  }
  async revokeByGrantId(grantId: string) {
    for (const [id, entry] of this.store) if (entry.payload['grantId'] === grantId) this.store.delete(id);
  }
}

export async function startAuthorizationServer(
  options: AuthorizationServerOptions = {},
): Promise<TestAuthorizationServer> {
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(503).end();
  const server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const stores = new Map<string, Map<string, { payload: Record<string, unknown>; expiresAt: number | null }>>();
  let accessTokenTtl = 60;
  let loginAccount = 'user-1';
  let denyLogins = false;
  const users = new Map<string, TestUser>();
  const tokenRequests = new Map<string, number>();

  let signingJwk = options.signingJwk;
  if (!signingJwk) {
    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    signingJwk = { ...(await exportJWK(privateKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
  }
  const resourceServers = options.resourceServers ?? {};

  const provider = new Provider(issuer, {
    adapter: (name: string) => new MapAdapter(name, stores),
    jwks: { keys: [signingJwk] },
    cookies: { keys: ['warden-test-cookie-key-0123456789abcdef'] },
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
    scopes: ['openid', 'offline_access', 'orders.read', 'orders.write'],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      revocation: { enabled: true, allowedPolicy: async () => true },
      introspection: { enabled: true, allowedPolicy: async () => true },
      resourceIndicators: {
        enabled: Object.keys(resourceServers).length > 0,
        defaultResource: () => undefined,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, resource: string) => {
          const info = resourceServers[resource];
          if (!info) throw new Error(`unknown resource ${resource}`);
          return {
            audience: info.audience,
            scope: info.scope,
            accessTokenTTL: info.ttlSeconds?.() ?? accessTokenTtl,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
    ttl: {
      // A resource server's own lifetime wins, as in oidc-provider's defaults.
      AccessToken: (_ctx: unknown, token: { resourceServer?: { accessTokenTTL?: number } }) =>
        token.resourceServer?.accessTokenTTL ?? accessTokenTtl,
      ClientCredentials: (_ctx: unknown, token: { resourceServer?: { accessTokenTTL?: number } }) =>
        token.resourceServer?.accessTokenTTL ?? accessTokenTtl,
      RefreshToken: () => 3600,
      Grant: () => 3600,
      Interaction: () => 600,
      Session: () => 3600,
      AuthorizationCode: () => 60,
      IdToken: () => 3600,
    },
    findAccount: async (_ctx: unknown, accountId: string) => ({ accountId, claims: async () => ({ sub: accountId }) }),
    issueRefreshToken: async (_ctx: unknown, client: { grantTypeAllowed(type: string): boolean }) =>
      client.grantTypeAllowed('refresh_token'),
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    renderError: async (ctx: { type: string; body: string }, out: Record<string, string>) => {
      ctx.type = 'json';
      ctx.body = JSON.stringify(out);
    },
  } as never);
  // The clients live in the map behind the adapter so a test can disable one at runtime.
  const clientStore = () => {
    let store = stores.get('Client');
    if (!store) {
      store = new Map();
      stores.set('Client', store);
    }
    return store;
  };

  registerPasswordGrant(provider, users, signingJwk, resourceServers, () => accessTokenTtl);

  const callback = provider.callback();
  handler = (req, res) => {
    const url = new URL(req.url ?? '/', issuer);
    if (url.pathname === '/token' && req.method === 'POST') countGrant(req, tokenRequests);
    if (url.pathname.startsWith('/interaction/')) {
      finishInteraction(provider, req, res, loginAccount, denyLogins).catch((error: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
      });
      return;
    }
    callback(req, res);
  };

  return {
    issuer,
    tokenUrl: `${issuer}/token`,
    introspect: async (token, client) => {
      const response = await fetch(`${issuer}/token/introspection`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ token }),
      });
      return (await response.json()) as Record<string, unknown>;
    },
    provider,
    users,
    tokenRequests,
    setAccessTokenTtl: (seconds) => {
      accessTokenTtl = seconds;
    },
    addClient: (metadata) => {
      clientStore().set(metadata.client_id, { payload: metadata, expiresAt: null });
    },
    removeClient: (clientId) => {
      clientStore().delete(clientId);
      // oidc-provider caches client instances; a fresh static lookup needs the cache gone.
      (provider.Client as unknown as { cache?: { clear?: () => void } }).cache?.clear?.();
    },
    setLoginAccount: (accountId) => {
      loginAccount = accountId;
    },
    setDenyLogins: (deny) => {
      denyLogins = deny;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function countGrant(req: IncomingMessage, counts: Map<string, number>): void {
  const chunks: Buffer[] = [];
  // Peek at the body without consuming it for oidc-provider: listen alongside it.
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const grantType = new URLSearchParams(Buffer.concat(chunks).toString('utf8')).get('grant_type') ?? 'unknown';
    counts.set(grantType, (counts.get(grantType) ?? 0) + 1);
  });
}

/** A login and consent screen that signs in `accountId` and grants every requested scope. */
async function finishInteraction(
  provider: Provider,
  req: IncomingMessage,
  res: ServerResponse,
  accountId: string,
  deny: boolean,
): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  if (deny) {
    await provider.interactionFinished(
      req,
      res,
      { error: 'access_denied', error_description: 'the user said no' },
      {
        mergeWithLastSubmission: false,
      },
    );
    return;
  }
  const prompt = details.prompt as { name: string; details: Record<string, unknown> };
  if (prompt.name === 'login') {
    await provider.interactionFinished(req, res, { login: { accountId } }, { mergeWithLastSubmission: false });
    return;
  }
  const params = details.params as Record<string, string>;
  const grant = new provider.Grant({ accountId: details.session!.accountId, clientId: params['client_id']! });
  const missingOidc = prompt.details['missingOIDCScope'] as string[] | undefined;
  if (missingOidc) grant.addOIDCScope(missingOidc.join(' '));
  const missingResource = prompt.details['missingResourceScopes'] as Record<string, string[]> | undefined;
  if (missingResource)
    for (const [indicator, scopes] of Object.entries(missingResource))
      grant.addResourceScope(indicator, scopes.join(' '));
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

/**
 * The password grant with OTP, in two dialects:
 * - standard: a missing OTP answers 400 `mfa_required`; a wrong one 400 invalid_grant "invalid or expired one-time password".
 * - keycloak: a missing OTP answers 401 invalid_request "Missing parameter: totp"; a wrong one 401 invalid_grant
 *   "Invalid user credentials" (the same text as a wrong password).
 */
function registerPasswordGrant(
  provider: Provider,
  users: Map<string, TestUser>,
  signingJwk: JWK,
  resourceServers: NonNullable<AuthorizationServerOptions['resourceServers']>,
  defaultTtl: () => number,
): void {
  const fail = (ctx: { status: number; body: unknown }, status: number, error: string, description: string) => {
    ctx.status = status;
    ctx.body = { error, error_description: description };
  };
  provider.registerGrantType(
    'password',
    async (ctx: never) => {
      const context = ctx as unknown as {
        status: number;
        body: unknown;
        oidc: {
          client: { clientId: string; grantTypeAllowed(type: string): boolean };
          params: Record<string, string | undefined>;
        };
      };
      const { client, params } = context.oidc;
      const user = users.get(params['username'] ?? '');
      if (!user || user.password !== params['password']) {
        fail(context, user?.otp?.style === 'keycloak' ? 401 : 400, 'invalid_grant', 'Invalid user credentials');
        return;
      }
      if (user.otp) {
        const sent = user.otp.style === 'keycloak' ? (params['totp'] ?? params['otp']) : params['otp'];
        if (!sent) {
          if (user.otp.style === 'keycloak') fail(context, 401, 'invalid_request', 'Missing parameter: totp');
          else fail(context, 400, 'mfa_required', 'Multi-factor authentication required');
          return;
        }
        if (sent !== user.otp.code) {
          if (user.otp.style === 'keycloak') fail(context, 401, 'invalid_grant', 'Invalid user credentials');
          else fail(context, 400, 'invalid_grant', 'invalid or expired one-time password');
          return;
        }
      }
      const accountId = params['username']!;
      const resource = params['resource'] ? resourceServers[params['resource']] : undefined;
      if (resource) {
        // A JWT for a resource server (RabbitMQ), signed with the server's key like oidc-provider's own.
        const ttl = resource.ttlSeconds?.() ?? defaultTtl();
        const key = await importJWK(signingJwk, 'RS256');
        const value = await new SignJWT({ scope: resource.scope, client_id: client.clientId })
          .setProtectedHeader({ alg: 'RS256', kid: signingJwk.kid!, typ: 'at+jwt' })
          .setIssuer(provider.issuer)
          .setSubject(accountId)
          .setAudience(resource.audience)
          .setJti(randomUUID())
          .setIssuedAt()
          .setExpirationTime(`${ttl}s`)
          .sign(key);
        context.body = { access_token: value, token_type: 'Bearer', expires_in: ttl, scope: resource.scope };
        context.status = 200;
        return;
      }
      const grant = new provider.Grant({ accountId, clientId: client.clientId });
      grant.addOIDCScope('openid');
      const grantId = await grant.save();
      const accessToken = new provider.AccessToken({
        accountId,
        client: client as never,
        grantId,
        scope: 'openid',
        gty: 'password',
      });
      const value = await accessToken.save();
      context.body = { access_token: value, token_type: 'Bearer', expires_in: accessToken.expiration, scope: 'openid' };
      context.status = 200;
    },
    ['username', 'password', 'otp', 'totp', 'scope', 'resource'],
  );
}
