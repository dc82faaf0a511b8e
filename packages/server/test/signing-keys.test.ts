import type { FastifyInstance } from 'fastify';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeProtectedHeader,
  type JSONWebKeySet,
  type JWK,
  jwtVerify,
} from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import type { Capability } from '../src/capability.js';
import { ConfigError } from '../src/config/errors.js';
import { loadConfig, parseConfig } from '../src/config/load.js';
import { WardenError } from '../src/errors/warden-error.js';
import { buildApp } from '../src/http/app.js';
import { loadServerSecrets } from '../src/issue/server-secrets.js';
import type { SigningAlgorithm } from '../src/signing-keys/algorithms.js';
import { discoveryDocument } from '../src/signing-keys/discovery.js';
import { decryptPrivateKey, encryptPrivateKey } from '../src/signing-keys/encryption.js';
import { generateSigningKey } from '../src/signing-keys/generation.js';
import { SigningKeyRepository } from '../src/signing-keys/repository.js';
import { tempDir, testDialects } from './helpers/databases.js';
import { startTestWarden, type TestWarden, type TestWardenOptions } from './helpers/engine.js';

const dialects = await testDialects();
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** The defaults of signing_keys: publish_ahead, retain_after_retire, refresh_interval. */
const PUBLISH_AHEAD = HOUR;
const RETAIN = DAY;
const REFRESH = 5_000;
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const OTHER_MASTER_KEY = 'another-master-key-0123456789abcdefghijklmnop';

const kidOf = (token: string) => decodeProtectedHeader(token).kid;

/** Claims of an access token living `ttlSeconds` from the engine's clock. */
function claimsAt(now: number, ttlSeconds = 600) {
  const iat = Math.floor(now / 1000);
  return { sub: 'orders-svc', aud: 'orders', iat, exp: iat + ttlSeconds, jti: `jti-${iat}-${ttlSeconds}` };
}

async function rejectionOf(promise: Promise<unknown>): Promise<WardenError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(WardenError);
  return error as WardenError;
}

describe.each(dialects)('signing keys on %s', (dialect) => {
  const started: TestWarden[] = [];
  const apps: FastifyInstance[] = [];
  /** An engine on a frozen clock without background tasks: each test runs the maintenance round itself. */
  const start = async (options: TestWardenOptions = {}) => {
    const t = await startTestWarden(dialect, { frozenClock: true, background: false, ...options });
    started.push(t);
    return t;
  };
  const serveOver = async (t: TestWarden) => {
    const app = buildApp(t.warden);
    apps.push(app);
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as { port: number };
    return `http://127.0.0.1:${port}`;
  };
  const inject = (t: TestWarden) => {
    const app = buildApp(t.warden);
    apps.push(app);
    return app;
  };
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
    // Second instances on a shared database first: the owner drops the database.
    for (const t of started.splice(0).reverse()) await t.close();
  });

  const storedRows = (t: TestWarden) => t.warden.database.db.selectFrom('signing_keys').selectAll().execute();
  const states = async (t: TestWarden) =>
    (await t.warden.signingKeys.service.list()).map((key) => [key.kid, key.state] as const);

  it('creates one key, active at once, on the first start; a restart keeps it', async () => {
    const t = await start();
    await t.warden.signingKeys.maintain();
    const [key, ...others] = await t.warden.signingKeys.service.list();
    expect(others).toEqual([]);
    expect(key).toMatchObject({
      algorithm: 'EdDSA',
      state: 'active',
      predecessor: null,
      activatedAt: new Date(t.clock.now).toISOString(),
      retiredAt: null,
      expiresAt: null,
    });
    expect(key!.kid).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const audit = await t.warden.audit.list({ action: 'signing_key.create' });
    expect(audit).toMatchObject([{ actor: 'scheduler', targetType: 'signing_key', targetId: key!.kid }]);

    const again = await start({ database: t.database });
    await again.warden.signingKeys.maintain();
    expect((await again.warden.signingKeys.service.list()).map((item) => item.kid)).toEqual([key!.kid]);
  });

  it('stores the private key encrypted (AES-256-GCM, v1 prefix, kid as AAD), never in plaintext', async () => {
    const t = await start();
    await t.warden.signingKeys.maintain();
    const [row] = await storedRows(t);
    const { masterKey } = loadServerSecrets(t.warden.config.secrets, t.warden.config.data_dir);
    const privateJwk = JSON.parse(decryptPrivateKey(masterKey, row!.kid, row!.private_key_encrypted)) as JWK;
    expect(privateJwk.d).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(row!.private_key_encrypted).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
    const everything = JSON.stringify(row);
    expect(everything).not.toContain(privateJwk.d);
    expect(everything).not.toContain(Buffer.from(privateJwk.d!, 'base64url').toString('base64'));
    expect(JSON.parse(row!.public_jwk)).not.toHaveProperty('d');

    // The kid is authenticated data: the same ciphertext under another kid does not decrypt.
    const moved = await rejectionOf(
      (async () => decryptPrivateKey(masterKey, 'another-kid', row!.private_key_encrypted))(),
    );
    expect(moved.code).toBe('master_key_mismatch');
    // A fresh IV every time: the same plaintext never gives the same text.
    expect(encryptPrivateKey(masterKey, 'k', 'same')).not.toBe(encryptPrivateKey(masterKey, 'k', 'same'));
  });

  it('a wrong master key fails with master_key_mismatch, and writes no key the servers could not decrypt', async () => {
    const t = await start();
    await t.warden.signingKeys.maintain();
    const wrong = await start({ database: t.database, config: { secrets: { master_key: OTHER_MASTER_KEY } } });
    const signing = await rejectionOf(wrong.warden.signingKeys.signer.sign(claimsAt(wrong.clock.now), 'at+jwt'));
    expect(signing.code).toBe('master_key_mismatch');
    expect(signing.message).toMatch(/^signing key [A-Za-z0-9_-]{22} cannot be decrypted: the master key/);
    expect(signing.exit).toBe(2);
    expect((await rejectionOf(wrong.warden.signingKeys.maintain())).code).toBe('master_key_mismatch');
    const rotating = await rejectionOf(wrong.warden.signingKeys.service.rotate({}, { actor: 'test' }));
    expect(rotating.code).toBe('master_key_mismatch');
    expect(await storedRows(t)).toHaveLength(1);
    // The right key still signs.
    expect(kidOf(await t.warden.signingKeys.signer.sign(claimsAt(t.clock.now), 'at+jwt'))).toBe(
      (await storedRows(t))[0]!.kid,
    );
  });

  it.each([
    ['EdDSA', { kty: 'OKP', crv: 'Ed25519' }],
    ['ES256', { kty: 'EC', crv: 'P-256' }],
    ['RS256', { kty: 'RSA', e: 'AQAB' }],
  ] as const)(
    '%s: the JWKS holds public members only, and verifies what the signer signs',
    async (algorithm, shape) => {
      const t = await start({ config: { signing_keys: { algorithm } } });
      await t.warden.signingKeys.maintain();
      await t.warden.signingKeys.service.rotate({}, { actor: 'test' });
      const response = await inject(t).inject({ method: 'GET', url: '/.well-known/jwks.json' });
      expect(response.statusCode).toBe(200);
      const jwks = response.json() as JSONWebKeySet;
      expect(jwks.keys).toHaveLength(2);
      for (const key of jwks.keys) {
        expect(key).toMatchObject({ ...shape, alg: algorithm, use: 'sig' });
        for (const member of PRIVATE_MEMBERS) expect(key).not.toHaveProperty(member);
        if (algorithm === 'RS256') expect(Buffer.from(key.n!, 'base64url').length * 8).toBe(2048);
      }
      const token = await t.warden.signingKeys.signer.sign(claimsAt(t.clock.now), 'at+jwt');
      const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks), {
        algorithms: [algorithm],
        issuer: 'http://127.0.0.1:8080',
        typ: 'at+jwt',
        currentDate: new Date(t.clock.now),
      });
      expect(protectedHeader.alg).toBe(algorithm);
      expect(payload).toMatchObject({ sub: 'orders-svc', iss: 'http://127.0.0.1:8080' });
    },
  );

  it('tokens verify with jose against the JWKS fetched over HTTP, and with verificationKey(kid)', async () => {
    const t = await start({ config: { issuer: 'https://auth.example.com/' } });
    const base = await serveOver(t);
    const token = await t.warden.signingKeys.signer.sign(
      { ...claimsAt(t.clock.now), iss: 'https://evil.example.com' },
      'at+jwt',
    );
    const remote = createRemoteJWKSet(new URL(`${base}/.well-known/jwks.json`));
    const { payload } = await jwtVerify(token, remote, {
      issuer: 'https://auth.example.com',
      audience: 'orders',
      algorithms: ['EdDSA'],
      typ: 'at+jwt',
      currentDate: new Date(t.clock.now),
    });
    // The signer sets iss itself, from the configured issuer without its trailing slash.
    expect(payload.iss).toBe('https://auth.example.com');
    expect(t.warden.signingKeys.signer.issuer).toBe('https://auth.example.com');

    const found = await t.warden.signingKeys.verificationKey(kidOf(token)!);
    expect(found).toMatchObject({ kid: kidOf(token), algorithm: 'EdDSA' });
    await jwtVerify(token, found!.key, { algorithms: [found!.algorithm], currentDate: new Date(t.clock.now) });
    expect(await t.warden.signingKeys.verificationKey('../../dev/null')).toBeNull();
  });

  it('the signer refuses a token without exp, or one that would outlive its key in the JWKS', async () => {
    const t = await start({ config: { signing_keys: { retain_after_retire: '1h' } } });
    const { signer } = t.warden.signingKeys;
    const { exp: _exp, ...withoutExp } = claimsAt(t.clock.now);
    expect((await rejectionOf(signer.sign(withoutExp, 'at+jwt'))).code).toBe('internal_error');
    const tooLong = await rejectionOf(signer.sign(claimsAt(t.clock.now, 3601), 'at+jwt'));
    expect(tooLong.code).toBe('config_invalid');
    expect(tooLong.message).toContain('signing_keys.retain_after_retire (3600 s)');
    await expect(signer.sign(claimsAt(t.clock.now, 3600), 'at+jwt')).resolves.toMatch(/^ey/);
  });

  it('a rotation publishes the next key first; it signs only after publish_ahead; the old key stays until its expiry', async () => {
    const t = await start();
    const { signingKeys } = t.warden;
    const t0 = t.clock.now;
    await signingKeys.maintain();
    const [first] = await signingKeys.service.list();
    const app = inject(t);
    const jwksKids = async () =>
      ((await app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json() as JSONWebKeySet).keys.map(
        (key) => key.kid,
      );
    const sign = () => signingKeys.signer.sign(claimsAt(t.clock.now), 'at+jwt');

    const rotated = await signingKeys.service.rotate({}, { actor: 'ops', peer: '10.0.0.9' });
    const next = rotated.key.kid;
    expect(rotated.key).toMatchObject({
      state: 'next',
      predecessor: first!.kid,
      activatedAt: new Date(t0 + PUBLISH_AHEAD).toISOString(),
    });
    expect(rotated.previous).toMatchObject({
      kid: first!.kid,
      state: 'active',
      retiredAt: new Date(t0 + PUBLISH_AHEAD).toISOString(),
      expiresAt: new Date(t0 + PUBLISH_AHEAD + RETAIN + REFRESH).toISOString(),
    });
    expect(await jwksKids()).toEqual([next, first!.kid]);
    const signedBefore = await sign();
    expect(kidOf(signedBefore)).toBe(first!.kid);

    t.clock.now = t0 + PUBLISH_AHEAD - 1;
    expect(kidOf(await sign())).toBe(first!.kid);
    t.clock.now = t0 + PUBLISH_AHEAD;
    expect(kidOf(await sign())).toBe(next);
    expect(await states(t)).toEqual([
      [next, 'active'],
      [first!.kid, 'retired'],
    ]);

    // Retired, still published: a token it signed before the switch verifies until it expires.
    const expiresAt = t0 + PUBLISH_AHEAD + RETAIN + REFRESH;
    t.clock.now = expiresAt - 1;
    expect(await jwksKids()).toEqual([next, first!.kid]);
    expect(await signingKeys.verificationKey(first!.kid)).not.toBeNull();
    t.clock.now = expiresAt;
    expect(await jwksKids()).toEqual([next]);
    expect(await signingKeys.verificationKey(first!.kid)).toBeNull();
    expect(await states(t)).toEqual([
      [next, 'active'],
      [first!.kid, 'expired'],
    ]);

    const [event] = await t.warden.audit.list({ action: 'signing_key.rotate' });
    expect(event).toMatchObject({
      actor: 'ops',
      peer: '10.0.0.9',
      targetType: 'signing_key',
      targetId: next,
      details: { previous: first!.kid, immediately: false, algorithm: 'EdDSA' },
    });
  });

  it('a pending rotation is a conflict; now: true activates the pending key at once; from an active key at once too', async () => {
    const t = await start();
    const { service, signer } = t.warden.signingKeys;
    const first = (await service.rotate({}, { actor: 'test' })).key; // a new store: the first key
    expect(first.state).toBe('active');
    const pending = (await service.rotate({}, { actor: 'test' })).key;
    const conflict = await rejectionOf(service.rotate({}, { actor: 'test' }));
    expect(conflict.code).toBe('conflict');
    expect(conflict.message).toContain(`a rotation is already pending: ${pending.kid} starts signing at`);

    const promoted = await service.rotate({ now: true }, { actor: 'test' });
    expect(promoted.key).toMatchObject({ kid: pending.kid, state: 'active' });
    expect(promoted.previous).toMatchObject({ kid: first.kid, state: 'retired' });
    // Through this instance, at once: no wait for the refresh interval.
    expect(kidOf(await signer.sign(claimsAt(t.clock.now), 'at+jwt'))).toBe(pending.kid);

    const immediate = await service.rotate({ now: true }, { actor: 'test' });
    expect(immediate.key.state).toBe('active');
    expect(kidOf(await signer.sign(claimsAt(t.clock.now), 'at+jwt'))).toBe(immediate.key.kid);
    expect((await service.list()).map((key) => key.state)).toEqual(['active', 'retired', 'retired']);
  });

  it('rotates automatically every rotate_every, publishing the next key publish_ahead before', async () => {
    const t = await start({ config: { signing_keys: { rotate_every: '30d' } } });
    const t0 = t.clock.now;
    await t.warden.signingKeys.maintain();
    t.clock.now = t0 + 30 * DAY - PUBLISH_AHEAD - 1;
    await t.warden.signingKeys.maintain();
    expect(await t.warden.signingKeys.service.list()).toHaveLength(1);
    t.clock.now = t0 + 30 * DAY - PUBLISH_AHEAD;
    await t.warden.signingKeys.maintain();
    await t.warden.signingKeys.maintain();
    const [next, first] = await t.warden.signingKeys.service.list();
    expect(next).toMatchObject({ state: 'next', activatedAt: new Date(t0 + 30 * DAY).toISOString() });
    expect(first).toMatchObject({ state: 'active', retiredAt: new Date(t0 + 30 * DAY).toISOString() });
    expect(await t.warden.audit.list({ action: 'signing_key.rotate' })).toMatchObject([{ actor: 'scheduler' }]);

    const never = await start({ config: { signing_keys: { rotate_every: 0 } } });
    await never.warden.signingKeys.maintain();
    never.clock.now += 3650 * DAY;
    await never.warden.signingKeys.maintain();
    expect(await never.warden.signingKeys.service.list()).toHaveLength(1);
  });

  // Several instances share PostgreSQL only (SQLite is single-instance: two engines in one process would block each
  // other's synchronous connections, which no deployment does).
  it.runIf(dialect === 'postgres')(
    'two instances starting and rotating at once create one first key and one next key',
    async () => {
      const a = await start({ config: { signing_keys: { rotate_every: '2h' } } });
      const b = await start({ database: a.database, config: { signing_keys: { rotate_every: '2h' } } });
      await Promise.all([a.warden.signingKeys.maintain(), b.warden.signingKeys.maintain()]);
      expect(await a.warden.signingKeys.service.list()).toHaveLength(1);

      for (let round = 1; round <= 3; round++) {
        const outcomes = await Promise.allSettled([
          a.warden.signingKeys.service.rotate({}, { actor: 'a' }),
          b.warden.signingKeys.service.rotate({}, { actor: 'b' }),
        ]);
        expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
        const [refused] = outcomes.filter((outcome) => outcome.status === 'rejected');
        expect((refused as PromiseRejectedResult).reason).toMatchObject({ code: 'conflict' });
        expect((await a.warden.signingKeys.service.list()).filter((key) => key.state === 'next')).toHaveLength(1);
        a.clock.now += PUBLISH_AHEAD;
        b.clock.now = a.clock.now;
      }
      // Automatic rotation due on both instances at once.
      a.clock.now += HOUR;
      b.clock.now = a.clock.now;
      const before = (await a.warden.signingKeys.service.list()).length;
      await Promise.all([a.warden.signingKeys.maintain(), b.warden.signingKeys.maintain()]);
      const after = await a.warden.signingKeys.service.list();
      expect(after).toHaveLength(before + 1);
      expect(after.filter((key) => key.state === 'next')).toHaveLength(1);
      expect(await a.warden.audit.list({ action: 'signing_key.rotate', limit: 10 })).toHaveLength(4);
    },
  );

  it.runIf(dialect === 'postgres')(
    'the store lets a key have one successor: two successors of one key at once, one is written',
    async () => {
      const a = await start();
      const b = await start({ database: a.database });
      await a.warden.signingKeys.maintain();
      const [head] = await a.warden.signingKeys.service.list();
      const successor = async () => {
        const generated = await generateSigningKey('EdDSA', 2048);
        return {
          kid: generated.kid,
          predecessor: head!.kid,
          algorithm: 'EdDSA' as SigningAlgorithm,
          publicJwk: generated.publicJwk,
          privateKeyEncrypted: 'v1.unused',
          createdAt: a.clock.now,
          publishedAt: a.clock.now,
          activatedAt: a.clock.now + HOUR,
          retiredAt: null,
          expiresAt: null,
        };
      };
      const [first, second] = await Promise.all([successor(), successor()]);
      const written = await Promise.all([
        new SigningKeyRepository(a.warden.database.db).insertSuccessor(first, a.clock.now + DAY, a.clock.now),
        new SigningKeyRepository(b.warden.database.db).insertSuccessor(second, a.clock.now + DAY, a.clock.now),
      ]);
      expect(written.sort()).toEqual([false, true]);
      expect(await storedRows(a)).toHaveLength(2);
    },
  );

  it("another instance's rotation is used within refresh_interval; an unknown kid reads at most once a second", async () => {
    const a = await start();
    const b = await start({ database: a.database });
    await a.warden.signingKeys.maintain();
    const oldKid = kidOf(await b.warden.signingKeys.signer.sign(claimsAt(b.clock.now), 'at+jwt'));
    const { key } = await a.warden.signingKeys.service.rotate({ now: true }, { actor: 'a' });

    // b's copy is fresh: it may sign with the old key for up to refresh_interval (the old key stays published).
    expect(kidOf(await b.warden.signingKeys.signer.sign(claimsAt(b.clock.now), 'at+jwt'))).toBe(oldKid);
    expect(await b.warden.signingKeys.verificationKey(key.kid)).toBeNull();
    b.clock.now += 1_000;
    expect(await b.warden.signingKeys.verificationKey(key.kid)).toMatchObject({ kid: key.kid });
    b.clock.now += REFRESH;
    expect(kidOf(await b.warden.signingKeys.signer.sign(claimsAt(b.clock.now), 'at+jwt'))).toBe(key.kid);
  });

  it('serves the discovery documents under both names, from the configured issuer', async () => {
    const t = await start({ config: { issuer: 'https://Auth.Example.com/warden/' } });
    const app = inject(t);
    for (const url of ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server']) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.statusCode).toBe(200);
      expect(response.headers['cache-control']).toBe('public, max-age=300');
      expect(response.json()).toMatchObject({
        issuer: 'https://auth.example.com/warden',
        jwks_uri: 'https://auth.example.com/warden/.well-known/jwks.json',
      });
    }
    const jwks = await app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
    expect(jwks.headers['cache-control']).toBe('public, max-age=300');
    expect(jwks.headers['content-type']).toBe('application/jwk-set+json; charset=utf-8');
  });

  it('admin API: list and rotate for admins only', async () => {
    const t = await start();
    const app = inject(t);
    const admin = await t.warden.keys.create({ subject: 'root', admin: true }, { actor: 'test' });
    const user = await t.warden.keys.create({ subject: 'svc' }, { actor: 'test' });
    const as = (key: string) => ({ authorization: `Bearer ${key}` });

    expect((await app.inject({ method: 'GET', url: '/v1/admin/signing-keys' })).statusCode).toBe(401);
    const forbidden = await app.inject({
      method: 'POST',
      url: '/v1/admin/signing-keys/rotate',
      headers: as(user.key),
      payload: {},
    });
    expect(forbidden.statusCode).toBe(403);
    expect(await t.warden.signingKeys.service.list()).toEqual([]);

    await t.warden.signingKeys.maintain();
    const rotate = (payload: unknown) =>
      app.inject({
        method: 'POST',
        url: '/v1/admin/signing-keys/rotate',
        headers: as(admin.key),
        payload: payload as object,
      });
    const rotated = await rotate({});
    expect(rotated.statusCode).toBe(201);
    expect(rotated.json()).toMatchObject({ key: { state: 'next' }, previous: { state: 'active' } });
    expect((await rotate({})).json()).toMatchObject({ error: 'conflict' });
    expect((await rotate({ now: 'yes' })).statusCode).toBe(400);
    expect((await rotate({ immediately: true })).json()).toEqual({
      error: 'invalid_request',
      message: 'body: unknown field(s) immediately',
    });
    const listed = await app.inject({ method: 'GET', url: '/v1/admin/signing-keys', headers: as(admin.key) });
    expect(listed.json().items.map((key: { state: string }) => key.state)).toEqual(['next', 'active']);
    expect(listed.body).not.toMatch(/"d"|private|v1\./);
  });
});

describe('discovery metadata of every capability', () => {
  const capability = (metadata: Record<string, unknown>) =>
    ({ discoveryMetadata: (issuer: string) => ({ ...metadata, issuer: `${issuer}/nope` }) }) as unknown as Capability;

  it('merges lists, keeps the first value of any other field, and never replaces issuer', () => {
    const document = discoveryDocument(
      [
        capability({ jwks_uri: 'https://a/jwks', grant_types_supported: ['client_credentials'] }),
        capability({ token_endpoint: 'https://a/oauth2/token', grant_types_supported: ['refresh_token'] }),
        capability({ jwks_uri: 'https://other', grant_types_supported: ['client_credentials'] }),
      ],
      'https://a',
    );
    expect(document).toEqual({
      issuer: 'https://a',
      jwks_uri: 'https://a/jwks',
      token_endpoint: 'https://a/oauth2/token',
      grant_types_supported: ['client_credentials', 'refresh_token'],
    });
  });
});

describe('configuration of issuer and signing_keys', () => {
  const problemsOf = (input: Record<string, unknown>) => {
    try {
      parseConfig(input);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).problems;
    }
    throw new Error('expected a ConfigError');
  };

  it('issuer: an absolute http(s) URL without query, fragment or credentials, trailing slash removed', () => {
    expect(parseConfig({}).issuer).toBe('http://127.0.0.1:8080');
    expect(parseConfig({ issuer: 'https://auth.example.com/' }).issuer).toBe('https://auth.example.com');
    expect(loadConfig({}, { WARDEN_ISSUER: 'https://id.example.org//' }, tempDir()).config.issuer).toBe(
      'https://id.example.org',
    );
    expect(problemsOf({ issuer: 'auth.example.com' })).toEqual([
      'issuer: must be an absolute http(s) URL, e.g. https://auth.example.com',
    ]);
    expect(problemsOf({ issuer: 'ftp://auth.example.com' })).toEqual(['issuer: must be an http or https URL']);
    expect(problemsOf({ issuer: 'https://auth.example.com/?tenant=a' })).toEqual([
      'issuer: must not have a query or a fragment',
    ]);
    expect(problemsOf({ issuer: 'https://auth.example.com#x' })).toEqual([
      'issuer: must not have a query or a fragment',
    ]);
    expect(problemsOf({ issuer: 'https://me:pw@auth.example.com' })).toEqual([
      'issuer: must not hold a user name or password',
    ]);
  });

  it('signing_keys: defaults, and the rules between its durations', () => {
    expect(parseConfig({}).signing_keys).toEqual({
      algorithm: 'EdDSA',
      rsa_modulus_length: 2048,
      publish_ahead: HOUR,
      retain_after_retire: DAY,
      rotate_every: 90 * DAY,
      refresh_interval: REFRESH,
    });
    expect(problemsOf({ signing_keys: { algorithm: 'HS256' } })).toEqual([
      'signing_keys.algorithm: must be one of "EdDSA", "ES256", "RS256"',
    ]);
    expect(problemsOf({ signing_keys: { rsa_modulus_length: 1024 } })).toEqual([
      'signing_keys.rsa_modulus_length: must be at least 2048',
    ]);
    expect(problemsOf({ signing_keys: { publish_ahead: '1m' } })).toEqual([
      'signing_keys.publish_ahead: must be at least 5m, the max-age of /.well-known/jwks.json (for an immediate rotation: warden signing-keys rotate --now)',
    ]);
    expect(problemsOf({ signing_keys: { rotate_every: '1h' } })).toEqual([
      'signing_keys.rotate_every: must be 0 (never) or longer than signing_keys.publish_ahead',
    ]);
  });
});
