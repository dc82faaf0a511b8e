// The peer for the client credentials grant: oidc-provider, an independent OAuth 2.0 / OIDC server, set up to do
// what Warden's token endpoint does: client_secret_basic, the client credentials grant, and an EdDSA-signed JWT
// access token for one resource. Run as a child by tokens.mjs; reports its port over IPC. BENCH_CLIENT_ID and
// BENCH_CLIENT_SECRET name its one client; BENCH_RESOURCE is the resource (audience) its tokens are for.
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import Provider from 'oidc-provider';

const clientId = process.env.BENCH_CLIENT_ID ?? 'bench-client';
const clientSecret = process.env.BENCH_CLIENT_SECRET ?? 'bench-secret-not-a-secret-0123456789abcdef';
const resource = process.env.BENCH_RESOURCE ?? 'urn:bench:api';

const server = createServer((request, response) => handler(request, response));
let handler = (_request, response) => response.writeHead(503).end();
server.keepAliveTimeout = 60_000;

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const signingJwk = {
    ...generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }),
    kid: 'bench',
    alg: 'EdDSA',
    use: 'sig',
  };
  const provider = new Provider(`http://127.0.0.1:${port}`, {
    jwks: { keys: [signingJwk] },
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        token_endpoint_auth_method: 'client_secret_basic',
        id_token_signed_response_alg: 'EdDSA',
        scope: 'orders.read',
      },
    ],
    scopes: ['orders.read'],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => resource,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          audience: resource,
          scope: 'orders.read',
          accessTokenTTL: 900,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'EdDSA' } },
        }),
      },
    },
  });
  // Quiet: oidc-provider logs nothing by itself, but a failed grant would emit an event; count on the status.
  handler = provider.callback();
  process.send?.({ port });
});

process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
