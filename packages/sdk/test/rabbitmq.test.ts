import { createPrivateKey } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { CredentialManager } from '@warden/sdk/credentials';
import { connect } from '@warden/sdk/rabbitmq';
import amqplib from 'amqplib';
import { generateKeyPair, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// One relay for the whole repository's fault tests: the server's tests cut database links with it.
import { TcpRelay } from '../../server/test/helpers/tcp-relay.js';
import {
  captureRefreshTokens,
  startAuthorizationServer,
  type TestAuthorizationServer,
} from './support/authorization-server.js';
import { browse } from './support/browser.js';

/**
 * End to end against the local RabbitMQ with its OAuth 2.0 plugin trusting the test signing key, as set up by
 * scripts/ci/rabbitmq-oauth.sh. Outside CI the suite skips when that setup is absent; under CI=true it fails.
 */
const SETTINGS_FILE = `${process.env['WARDEN_TEST_RABBITMQ_OAUTH_DIR'] ?? '/var/lib/warden-test/rabbitmq-oauth'}/settings.json`;
const RESOURCE = 'urn:warden-test:rabbitmq';
const AMQP_URL = 'amqp://127.0.0.1:5672/';

interface BrokerSettings {
  resource_server_id: string;
  key_id: string;
  private_key_file: string;
}

async function detectBroker(): Promise<{ settings: BrokerSettings; signingJwk: JWK } | { reason: string }> {
  let settings: BrokerSettings;
  let signingJwk: JWK;
  try {
    settings = JSON.parse(readFileSync(SETTINGS_FILE, 'utf8')) as BrokerSettings;
    const key = createPrivateKey(readFileSync(settings.private_key_file, 'utf8'));
    signingJwk = { ...(key.export({ format: 'jwk' }) as JWK), kid: settings.key_id, alg: 'RS256', use: 'sig' };
  } catch (error) {
    return {
      reason: `${SETTINGS_FILE} or its key is not readable (${(error as NodeJS.ErrnoException).code ?? error}); run scripts/ci/rabbitmq-oauth.sh as root`,
    };
  }
  const reachable = await new Promise<boolean>((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port: 5672 });
    socket.setTimeout(2000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
  if (!reachable) return { reason: 'RabbitMQ does not answer on 127.0.0.1:5672' };
  // The files may be there while the broker runs without the plugin (restarted with another config): probe it.
  try {
    const probe = await new SignJWT({ scope: `${settings.resource_server_id}.read:*/*` })
      .setProtectedHeader({ alg: 'RS256', kid: settings.key_id })
      .setAudience(settings.resource_server_id)
      .setSubject('warden-probe')
      .setIssuedAt()
      .setExpirationTime('60s')
      .sign(createPrivateKey(readFileSync(settings.private_key_file, 'utf8')));
    const connection = await amqplib.connect({ hostname: '127.0.0.1', port: 5672, username: '', password: probe });
    await connection.close();
  } catch (error) {
    return {
      reason: `RabbitMQ refuses tokens signed by the test key (${(error as Error).message.slice(0, 120)}); run scripts/ci/rabbitmq-oauth.sh as root`,
    };
  }
  return { settings, signingJwk };
}

const broker = await detectBroker();
const skipReason = 'reason' in broker ? broker.reason : null;
if (skipReason && process.env['CI'] === 'true') {
  throw new Error(`RabbitMQ OAuth 2.0 setup missing under CI: ${skipReason}`);
}
if (skipReason) console.warn(`skipping RabbitMQ tests: ${skipReason}`);

describe.skipIf(skipReason !== null)(
  'RabbitMQ connections that stay authenticated (real broker, OAuth 2.0 plugin)',
  () => {
    const { settings, signingJwk } = broker as { settings: BrokerSettings; signingJwk: JWK };
    const scope = ['configure', 'write', 'read']
      .map((permission) => `${settings?.resource_server_id}.${permission}:*/*`)
      .join(' ');
    let tokenTtl = 60;
    let as: TestAuthorizationServer;
    const managers: CredentialManager[] = [];
    const connections: amqplib.ChannelModel[] = [];

    const track = <T extends amqplib.ChannelModel>(connection: T): T => {
      connections.push(connection);
      connection.on('error', () => {});
      return connection;
    };

    const clientCredentials = (clientId: string, secret: string, extra: Record<string, unknown> = {}) =>
      new CredentialManager(
        {
          credentials: {
            amqp: {
              type: 'oauth2_client_credentials',
              token_url: `${as.tokenUrl}`,
              client_id: clientId,
              client_secret: secret,
              resource: [RESOURCE],
              scopes: scope,
              ...extra,
            },
          },
        },
        { retry: { attempts: 1, baseDelayMs: 100, maxDelayMs: 500 } },
      );

    /** Declare a fresh queue on a fresh channel, publish, and consume the message back. */
    async function roundTrip(connection: amqplib.ChannelModel, label: string): Promise<string> {
      const channel = await connection.createChannel();
      channel.on('error', () => {});
      try {
        const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
        const received = new Promise<string>((resolve) => {
          void channel.consume(
            queue,
            (message) => {
              if (message) resolve(message.content.toString('utf8'));
            },
            { noAck: true },
          );
        });
        channel.sendToQueue(queue, Buffer.from(label));
        return await received;
      } finally {
        await channel.close().catch(() => {});
      }
    }

    beforeAll(async () => {
      as = await startAuthorizationServer({
        signingJwk,
        resourceServers: { [RESOURCE]: { audience: settings.resource_server_id, scope, ttlSeconds: () => tokenTtl } },
      });
      as.addClient({
        client_id: 'rmq-svc',
        client_secret: 'rmq-svc-secret-123456',
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
      });
      as.addClient({
        client_id: 'rmq-pw',
        token_endpoint_auth_method: 'none',
        grant_types: ['password'],
        response_types: [],
        redirect_uris: [],
      });
      as.addClient({
        client_id: 'rmq-web',
        client_secret: 'rmq-web-secret-abcdef',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: ['https://app.example.test/cb'],
      });
      as.users.set('erin', { password: 'erin-password-7', otp: { code: '112233', style: 'standard' } });
    });

    afterAll(async () => {
      for (const connection of connections) await connection.close().catch(() => {});
      for (const manager of managers) manager.close();
      await as?.close();
    });

    it('the broker enforces the token: a foreign signature is refused, and an expired token stops working', async () => {
      // Negative controls: without them the main test could pass against a broker that checks nothing.
      const { privateKey } = await generateKeyPair('RS256');
      const forged = await new SignJWT({ scope })
        .setProtectedHeader({ alg: 'RS256', kid: settings.key_id })
        .setAudience(settings.resource_server_id)
        .setSubject('mallory')
        .setIssuedAt()
        .setExpirationTime('60s')
        .sign(privateKey);
      await expect(
        amqplib.connect({ hostname: '127.0.0.1', port: 5672, username: '', password: forged }),
      ).rejects.toThrow(/ACCESS_REFUSED|403/);

      tokenTtl = 2;
      const manager = clientCredentials('rmq-svc', 'rmq-svc-secret-123456');
      managers.push(manager);
      const token = await manager.getToken('amqp');
      manager.close();
      const raw = track(await amqplib.connect({ hostname: '127.0.0.1', port: 5672, username: '', password: token }));
      expect(await roundTrip(raw, 'before expiry')).toBe('before expiry');
      await new Promise((resolve) => setTimeout(resolve, 3000));
      await expect(roundTrip(raw, 'after expiry')).rejects.toThrow(/expired/i);
      tokenTtl = 60;
    }, 60_000);

    it('client credentials: one connection outlives several token lifetimes via update-secret, publishing and consuming', async () => {
      tokenTtl = 4;
      const manager = clientCredentials('rmq-svc', 'rmq-svc-secret-123456', { refresh_fraction: 0.5 });
      managers.push(manager);
      const connection = track(await connect({ url: AMQP_URL, credentials: 'amqp', manager }));
      let secretUpdates = 0;
      connection.on('update-secret-ok', () => {
        secretUpdates += 1;
      });
      // A long-lived consumer on its own channel, fed across all lifetimes.
      const channel = await connection.createChannel();
      const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
      const received: string[] = [];
      await channel.consume(queue, (message) => message && received.push(message.content.toString('utf8')), {
        noAck: true,
      });

      const started = Date.now();
      const firstExpiry = (await manager.getCredential('amqp')).expiresAt!.getTime();
      let round = 0;
      // Four lifetimes of the first token; each round opens a new channel, which the broker authorizes afresh
      // against the token the connection holds at that moment.
      while (Date.now() < firstExpiry + 3 * 4000) {
        round += 1;
        expect(await roundTrip(connection, `round ${round}`)).toBe(`round ${round}`);
        channel.sendToQueue(queue, Buffer.from(`long ${round}`));
        await once(manager, 'refreshed');
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(Date.now() - started).toBeGreaterThan(3 * 4000);
      expect(secretUpdates).toBeGreaterThanOrEqual(5);
      expect(received).toEqual(Array.from({ length: round }, (_, index) => `long ${index + 1}`));
      tokenTtl = 60;
    }, 60_000);

    it('a revoked client cannot reconnect, and its open connection loses the refresh', async () => {
      tokenTtl = 3;
      as.addClient({
        client_id: 'rmq-temp',
        client_secret: 'rmq-temp-secret-654321',
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
      });
      const manager = clientCredentials('rmq-temp', 'rmq-temp-secret-654321', { refresh_fraction: 0.5 });
      managers.push(manager);
      const connection = track(await connect({ url: AMQP_URL, credentials: 'amqp', manager }));
      expect(await roundTrip(connection, 'while enabled')).toBe('while enabled');

      const refreshFailed = once(manager, 'refresh_failed');
      const expired = once(manager, 'expired');
      as.removeClient('rmq-temp');
      const [failure] = await refreshFailed;
      expect(failure.error.code).toBe('invalid_client');
      await expect(
        connect({
          url: AMQP_URL,
          credentials: 'amqp',
          manager: clientCredentials('rmq-temp', 'rmq-temp-secret-654321'),
        }),
      ).rejects.toMatchObject({
        code: 'invalid_client',
      });
      // Once the last token lapses, the broker refuses the old connection's work too.
      await expired;
      await expect(roundTrip(connection, 'after revocation')).rejects.toThrow(/expired|ACCESS_REFUSED/i);
      tokenTtl = 60;
    }, 60_000);

    it('pre-acquired tokens: the access + refresh token of a user keep a connection alive across refreshes', async () => {
      tokenTtl = 4;
      // The user logged in elsewhere (a web app, with a resource indicator for RabbitMQ); only the tokens travel.
      const captured = captureRefreshTokens();
      const elsewhere = new CredentialManager(
        {
          credentials: {
            web: {
              type: 'oauth2_auth_code',
              issuer: as.issuer,
              client_id: 'rmq-web',
              client_secret: 'rmq-web-secret-abcdef',
              mode: 'server',
              redirect_uri: 'https://app.example.test/cb',
              scopes: ['openid', 'offline_access', ...scope.split(' ')],
              resource: [RESOURCE],
            },
          },
        },
        { fetch: captured.fetch },
      );
      managers.push(elsewhere);
      const { url } = await elsewhere.beginLogin('web');
      const login = await elsewhere.completeLogin(
        'web',
        await browse(url, { stopAt: (next) => next.startsWith('https://app.example.test/cb') }),
      );
      elsewhere.close();

      const manager = new CredentialManager({
        credentials: {
          amqp: {
            type: 'oauth2_tokens',
            issuer: as.issuer,
            client_id: 'rmq-web',
            client_secret: 'rmq-web-secret-abcdef',
            access_token: login.token.reveal(),
            refresh_token: captured.latest(),
            resource: [RESOURCE],
            refresh_fraction: 0.5,
          },
        },
      });
      managers.push(manager);
      const connection = track(await connect({ url: AMQP_URL, credentials: 'amqp', manager }));
      let secretUpdates = 0;
      connection.on('update-secret-ok', () => {
        secretUpdates += 1;
      });
      const firstExpiry = (await manager.getCredential('amqp')).expiresAt!.getTime();
      let round = 0;
      while (Date.now() < firstExpiry + 4000) {
        round += 1;
        expect(await roundTrip(connection, `user round ${round}`)).toBe(`user round ${round}`);
        await once(manager, 'refreshed');
      }
      expect(await roundTrip(connection, 'after the first two lifetimes')).toBe('after the first two lifetimes');
      expect(secretUpdates).toBeGreaterThanOrEqual(2);
      tokenTtl = 60;
    }, 60_000);

    it('password + OTP: a user token authenticates the connection', async () => {
      const manager = new CredentialManager(
        {
          credentials: {
            amqp: {
              type: 'oauth2_password',
              token_url: as.tokenUrl,
              client_id: 'rmq-pw',
              username: 'erin',
              password: 'erin-password-7',
              resource: [RESOURCE],
            },
          },
        },
        { otp: () => '112233' },
      );
      managers.push(manager);
      const connection = track(await connect({ url: AMQP_URL, credentials: 'amqp', manager }));
      expect(await roundTrip(connection, 'from erin')).toBe('from erin');
    });

    it('basic: guest/guest through the internal backend still works', async () => {
      const manager = new CredentialManager({
        credentials: { amqp: { type: 'basic', username: 'guest', password: 'guest' } },
      });
      managers.push(manager);
      const connection = track(await connect({ url: AMQP_URL, credentials: 'amqp', manager }));
      expect(await roundTrip(connection, 'as guest')).toBe('as guest');
    });

    it('a connection reset by the network is reported to onError and closes; it never ends the process', async () => {
      const relay = await TcpRelay.start({ host: '127.0.0.1', port: 5672 });
      try {
        const manager = new CredentialManager({
          credentials: { amqp: { type: 'basic', username: 'guest', password: 'guest' } },
        });
        managers.push(manager);
        const errors: Error[] = [];
        // No 'error' listener of the test's own (track() would add one): the SDK's must be enough.
        const connection = await connect({
          url: `amqp://127.0.0.1:${relay.port}/`,
          credentials: 'amqp',
          manager,
          onError: (error) => errors.push(error),
        });
        expect(await roundTrip(connection, 'before the cut')).toBe('before the cut');
        // Not events.once: it would reject on 'error', which is what is being tested.
        const closed = new Promise<void>((resolvePromise) => connection.once('close', () => resolvePromise()));
        relay.cut();
        await closed;
        expect(errors).toHaveLength(1);
        expect(errors[0]!.message).toMatch(/ECONNRESET|socket|closed/i);
      } finally {
        await relay.close();
      }
    });

    it('refuses api_key credentials and URLs with credentials in them', async () => {
      const manager = new CredentialManager({
        credentials: {
          key: { type: 'api_key', key: 'some-api-key-123' },
          amqp: { type: 'basic', username: 'guest', password: 'guest' },
        },
      });
      managers.push(manager);
      await expect(connect({ url: AMQP_URL, credentials: 'key', manager })).rejects.toMatchObject({
        code: 'config_invalid',
      });
      await expect(
        connect({ url: 'amqp://guest:guest@127.0.0.1:5672/', credentials: 'amqp', manager }),
      ).rejects.toMatchObject({ code: 'config_invalid' });
    });
  },
);
