import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';

/**
 * A real issuer's key endpoints under the test's control: `/.well-known/openid-configuration` and `/jwks` on
 * 127.0.0.1, counting requests, able to hang, fail with 500, rotate keys, or name another issuer in discovery.
 */
export interface TestIssuer {
  issuer: string;
  jwksUri: string;
  /** What the endpoints do now. */
  mode: 'ok' | 'hang' | 'error';
  /** The `issuer` the discovery document names (default: the real one). */
  discoveryIssuer: string;
  requests: { jwks: number; discovery: number; other: number };
  /** Adds a signing key (published at once) and makes it the one `sign` uses. */
  rotate(alg?: 'RS256' | 'ES256' | 'EdDSA'): Promise<TestKey>;
  current: TestKey;
  /** A token of this issuer signed with the current key, `at+jwt`, for `audience`, valid 5 minutes from `now`. */
  sign(claims?: Record<string, unknown>, options?: { now?: number; header?: Record<string, unknown> }): Promise<string>;
  close(): Promise<void>;
}

export interface TestKey {
  kid: string;
  alg: 'RS256' | 'ES256' | 'EdDSA';
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export const AUDIENCE = 'https://orders.test';

export async function startTestIssuer(alg: 'RS256' | 'ES256' | 'EdDSA' = 'RS256'): Promise<TestIssuer> {
  const published: JWK[] = [];
  const hanging = new Set<ServerResponse>();
  let counter = 0;
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    const kind = path === '/jwks' ? 'jwks' : path === '/.well-known/openid-configuration' ? 'discovery' : 'other';
    state.requests[kind] += 1;
    if (state.mode === 'hang') {
      hanging.add(response);
      return;
    }
    if (state.mode === 'error' || kind === 'other') {
      response.writeHead(kind === 'other' ? 404 : 500).end();
      return;
    }
    const body =
      kind === 'jwks' ? { keys: published } : { issuer: state.discoveryIssuer, jwks_uri: `${state.issuer}/jwks` };
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const makeKey = async (keyAlg: 'RS256' | 'ES256' | 'EdDSA'): Promise<TestKey> => {
    const { privateKey, publicKey } = await generateKeyPair(keyAlg, { extractable: true });
    counter += 1;
    const kid = `key-${counter}`;
    return {
      kid,
      alg: keyAlg,
      privateKey,
      publicJwk: { ...(await exportJWK(publicKey)), kid, alg: keyAlg, use: 'sig' },
    };
  };

  const state: TestIssuer = {
    issuer,
    jwksUri: `${issuer}/jwks`,
    mode: 'ok',
    discoveryIssuer: issuer,
    requests: { jwks: 0, discovery: 0, other: 0 },
    current: await makeKey(alg),
    async rotate(nextAlg = alg) {
      state.current = await makeKey(nextAlg);
      published.push(state.current.publicJwk);
      return state.current;
    },
    async sign(claims = {}, options = {}) {
      const now = Math.floor((options.now ?? Date.now()) / 1000);
      return new SignJWT({ sub: 'alice', aud: AUDIENCE, iss: issuer, iat: now, exp: now + 300, ...claims })
        .setProtectedHeader({ alg: state.current.alg, kid: state.current.kid, typ: 'at+jwt', ...options.header })
        .sign(state.current.privateKey);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const response of hanging) response.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  published.push(state.current.publicJwk);
  return state;
}
