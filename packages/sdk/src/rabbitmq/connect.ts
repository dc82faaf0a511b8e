import type { ChannelModel, Options } from 'amqplib';
import { CredentialError } from '../credentials/errors.js';
import type { CredentialManager } from '../credentials/manager/credential-manager.js';
import { basicCredentialParts } from '../credentials/providers/basic.js';
import type { CredentialType } from '../credentials/providers/provider.js';

/** Credential types that authenticate an AMQP connection with an OAuth 2.0 access token as the password. */
const TOKEN_TYPES: ReadonlySet<CredentialType> = new Set([
  'oauth2_client_credentials',
  'oauth2_password',
  'oauth2_tokens',
  'oauth2_auth_code',
]);

/** Options of {@link connect}. */
export interface RabbitConnectOptions {
  /** `amqp://host[:port][/vhost]` or `amqps://...`, without credentials (they come from the manager). */
  url: string | URL;
  /** Name of the credential in the manager: `basic`, or an OAuth 2.0 type whose token is the AMQP password. */
  credentials: string;
  manager: CredentialManager;
  /**
   * AMQP username for OAuth 2.0 modes. RabbitMQ's OAuth 2.0 backend takes the identity from the token and
   * ignores it; the default is the empty string.
   */
  username?: string;
  /** Passed to amqplib's `connect` (heartbeat, TLS options, clientProperties...). `credentials` is ours. */
  socketOptions?: Record<string, unknown>;
  /** Called when the broker refuses a refreshed token (`update-secret`); the connection keeps its old one. */
  onUpdateSecretError?: (error: Error) => void;
  /**
   * Called when the connection fails (reset by the network, closed by the broker with an error). The
   * connection emits 'close' right after; reconnecting is the caller's choice. Without this option the error
   * is still handled: a broken connection never ends the process.
   */
  onError?: (error: Error) => void;
}

/**
 * Open an amqplib connection authenticated by a named credential, and keep it authenticated.
 *
 * - `basic`: username and password (AMQP PLAIN).
 * - OAuth 2.0 types (client credentials, password + OTP, pre-acquired tokens, auth code): the access token is
 *   the password. Each time the manager refreshes the token, the new one is pushed into the open connection
 *   with `connection.update-secret` (RabbitMQ 3.8+), so the connection outlives any number of token lifetimes.
 *   If amqplib's connection recovery reconnects, it authenticates with the latest token.
 *
 * @returns amqplib's connection; closing it detaches it from the manager.
 * @throws CredentialError `dependency_missing` when amqplib is not installed, `config_invalid` for an
 *   `api_key` credential or a URL with credentials in it, or the credential's own errors.
 */
export async function connect(options: RabbitConnectOptions): Promise<ChannelModel> {
  const { manager, credentials: name } = options;
  const type = manager.typeOf(name);
  const target = parseAmqpUrl(options.url, name);
  const amqp = await loadAmqplib();

  if (type === 'basic') {
    const parts = basicCredentialParts(manager.provider(name));
    if (!parts)
      throw new CredentialError('config_invalid', `credential "${name}" has no username/password`, {
        credential: name,
      });
    const connection = await amqp.connect(target, {
      ...options.socketOptions,
      credentials: plainCredentials(parts.username, () => parts.password.reveal()),
    });
    return handleErrors(connection, options.onError);
  }
  if (!TOKEN_TYPES.has(type)) {
    throw new CredentialError(
      'config_invalid',
      `credential "${name}" is ${type}; AMQP connections take basic or an OAuth 2.0 type (oauth2_client_credentials, oauth2_password, oauth2_tokens, oauth2_auth_code)`,
      { credential: name },
    );
  }

  let token = await manager.getToken(name);
  const connection = await amqp.connect(target, {
    ...options.socketOptions,
    // Read at every (re)connect, so a recovering connection presents the latest token.
    credentials: plainCredentials(options.username ?? '', () => token),
  });

  handleErrors(connection, options.onError);
  let closed = false;
  const onRefreshed = (event: { credential: string }) => {
    if (event.credential !== name || closed) return;
    manager
      .getToken(name)
      .then(async (fresh) => {
        if (closed || fresh === token) return;
        await connection.updateSecret(Buffer.from(fresh, 'utf8'), 'token refreshed by @warden/sdk');
        token = fresh;
      })
      .catch((error: unknown) => {
        if (!closed) options.onUpdateSecretError?.(error instanceof Error ? error : new Error(String(error)));
      });
  };
  // A token that lapsed (e.g. the authorization server was down through the whole backoff) is fetched again
  // as soon as possible, which in turn fires `refreshed` and the update above.
  const onExpired = (event: { credential: string }) => {
    if (event.credential !== name || closed) return;
    manager.getToken(name).catch(() => {
      // The manager has already reported this as refresh_failed; nothing to add here.
    });
  };
  manager.on('refreshed', onRefreshed);
  manager.on('expired', onExpired);
  connection.once('close', () => {
    closed = true;
    manager.off('refreshed', onRefreshed);
    manager.off('expired', onExpired);
  });
  return connection;
}

/**
 * amqplib emits 'error' on a connection that fails, and an 'error' event nobody listens to ends the process.
 * The connection is handed over with a listener already in place (listeners the caller adds see it too).
 */
function handleErrors(connection: ChannelModel, onError: ((error: Error) => void) | undefined): ChannelModel {
  connection.on('error', (error: Error) => onError?.(error));
  return connection;
}

/** AMQP PLAIN; the password is produced on demand and never stored on the object. */
function plainCredentials(username: string, password: () => string) {
  return {
    mechanism: 'PLAIN',
    response: () => Buffer.from(`\0${username}\0${password()}`, 'utf8'),
    username,
  };
}

function parseAmqpUrl(value: string | URL, credential: string): Options.Connect {
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw new CredentialError('config_invalid', 'RabbitMQ url must be an absolute amqp:// or amqps:// URL', {
      credential,
    });
  }
  if (url.protocol !== 'amqp:' && url.protocol !== 'amqps:') {
    throw new CredentialError('config_invalid', 'RabbitMQ url must use amqp:// or amqps://', { credential });
  }
  if (url.username || url.password) {
    throw new CredentialError(
      'config_invalid',
      'RabbitMQ url must not contain credentials; they come from the credential manager',
      {
        credential,
      },
    );
  }
  const vhost = url.pathname.length > 1 ? decodeURIComponent(url.pathname.slice(1)) : '/';
  const connect: Options.Connect = {
    protocol: url.protocol.slice(0, -1),
    hostname: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : url.protocol === 'amqps:' ? 5671 : 5672,
    vhost,
  };
  const heartbeat = url.searchParams.get('heartbeat');
  if (heartbeat !== null) connect.heartbeat = Number(heartbeat);
  return connect;
}

type Amqplib = typeof import('amqplib');

async function loadAmqplib(): Promise<Amqplib> {
  try {
    const loaded = (await import('amqplib')) as Amqplib & { default?: Amqplib };
    return typeof loaded.connect === 'function' ? loaded : loaded.default!;
  } catch (error) {
    throw new CredentialError('dependency_missing', '@warden/sdk/rabbitmq needs amqplib: npm install amqplib', {
      cause: error,
    });
  }
}
