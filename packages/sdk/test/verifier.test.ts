import { createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import {
  createVerifier,
  FAILURE_BACKOFF_MS,
  TokenVerificationError,
  type Verifier,
  VerifierConfigError,
  type VerifierOptions,
} from '@warden/sdk/verifier';
import { CompactEncrypt, exportJWK, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AUDIENCE, startTestIssuer, type TestIssuer } from './support/jwks-server.js';

/**
 * The SDK's JWT verifier against real key endpoints (node:http servers this test controls: they rotate, hang and
 * fail). Malicious tokens are crafted with jose. The cases are SECURITY.md's JWT (#1-#12) and JWKS (#13-#18).
 */

const clock = { now: Date.now() };
const issuers: TestIssuer[] = [];
let a: TestIssuer;
let b: TestIssuer;

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function expectRefused(verifier: Verifier, token: string, code = 'invalid_credentials'): Promise<void> {
  const error = await verifier.verify(token).then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error, `accepted: ${token.slice(0, 60)}`).toBeInstanceOf(TokenVerificationError);
  expect((error as TokenVerificationError).code).toBe(code);
  // No token (nor a recognizable part of one) in what a caller might log.
  expect(String((error as Error).message)).not.toContain(token.slice(0, 30));
  expect(String((error as Error).message)).not.toContain(token.split('.')[2] || '\u0000');
}

function verifierFor(issuer: TestIssuer, options: Partial<VerifierOptions> = {}): Verifier {
  return createVerifier({
    issuer: issuer.issuer,
    audience: AUDIENCE,
    algorithms: ['RS256', 'ES256', 'EdDSA'],
    now: () => clock.now,
    ...options,
  });
}

beforeAll(async () => {
  a = await startTestIssuer('RS256');
  b = await startTestIssuer('RS256');
  issuers.push(a, b);
});
afterAll(async () => {
  for (const issuer of issuers) await issuer.close();
});
afterEach(() => {
  clock.now = Date.now();
  for (const issuer of issuers) {
    issuer.mode = 'ok';
    issuer.discoveryIssuer = issuer.issuer;
  }
});

describe('createVerifier refuses unsafe options', () => {
  const base = { issuer: 'https://idp.test', audience: 'api' };
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['no algorithm list', { ...base }, /algorithms is required/],
    ['an empty algorithm list', { ...base, algorithms: [] }, /algorithms is required/],
    ['none', { ...base, algorithms: ['RS256', 'none'] }, /never admit "none"/],
    ['NONE in another case', { ...base, algorithms: ['NONE'] }, /never admit "none"/],
    ['HMAC for an issuer with a JWKS (discovery)', { ...base, algorithms: ['HS256'] }, /needs a shared secret/],
    [
      'HMAC beside an explicit JWKS',
      { ...base, algorithms: ['RS256', 'HS256'], jwksUri: 'https://idp.test/jwks' },
      /needs a shared secret/,
    ],
    ['an unknown algorithm', { ...base, algorithms: ['RS1'] }, /unknown algorithm/],
    ['no audience', { issuer: base.issuer, algorithms: ['RS256'] }, /audience is required/],
    ['an empty audience list', { ...base, audience: [], algorithms: ['RS256'] }, /audience is required/],
    ['no issuer', { audience: 'api', algorithms: ['RS256'] }, /issuer must be an absolute URL/],
    ['plain http to a remote issuer', { ...base, issuer: 'http://idp.test', algorithms: ['RS256'] }, /must be https/],
    ['a negative cooldown', { ...base, algorithms: ['RS256'], cooldown: -1 }, /cooldown/],
  ];
  for (const [name, options, message] of cases) {
    it(`SECURITY.md #1: refuses ${name}`, () => {
      expect(() => createVerifier(options as unknown as VerifierOptions)).toThrow(VerifierConfigError);
      expect(() => createVerifier(options as unknown as VerifierOptions)).toThrow(message);
    });
  }

  it('refuses a claim mapping it could not apply, so a verification never trips over it', () => {
    const withClaims = (claims: unknown) => () =>
      createVerifier({ ...base, algorithms: ['RS256'], claims } as unknown as VerifierOptions);
    expect(withClaims({ roles: [1] })).toThrow(/claims.roles must be a claim path/);
    expect(withClaims({ subject: '' })).toThrow(/claims.subject/);
    expect(withClaims({ admin: 'yes' })).toThrow(/claims.admin/);
    expect(withClaims({ subjectType: 'robot' })).toThrow(/claims.subjectType/);
    expect(withClaims({ roles: 'realm_access.roles', subjectType: { claim: 'kind' } })).not.toThrow();
  });

  it('SECURITY.md #12: an HMAC secret shorter than 256 bits (or than the hash for HS384/HS512) is refused at creation', () => {
    const hmac = (secret: string, algorithms: string[]) => () =>
      createVerifier({ ...base, algorithms, secret } as VerifierOptions);
    const short = 'x'.repeat(31);
    expect(hmac(short, ['HS256'])).toThrow(/248 bits; HS256 needs at least 256/);
    expect(hmac('x'.repeat(32), ['HS256'])).not.toThrow();
    expect(hmac('x'.repeat(32), ['HS512'])).toThrow(/HS512 needs at least 512/);
    expect(hmac('x'.repeat(64), ['HS512'])).not.toThrow();
    // The message tells the length, never the secret.
    expect(() => hmac(short, ['HS256'])()).not.toThrow(short);
    // A secret only with HMAC algorithms: an RSA allowlist with a secret would mix the two.
    expect(hmac('x'.repeat(32), ['HS256', 'RS256'])).toThrow(/only HMAC/);
  });
});

describe('SECURITY.md #1-#12: JWT verification', () => {
  it('accepts a genuine token and maps it to a principal keyed by issuer and subject', async () => {
    const verifier = verifierFor(a);
    const principal = await verifier.verify(await a.sign({ scope: 'orders.read orders.write', jti: 'j1' }));
    expect(principal).toMatchObject({
      subject: 'alice',
      subjectType: 'user',
      tenant: null,
      admin: false,
      roles: [],
      scopes: ['orders.read', 'orders.write'],
      credential: { kind: 'jwt', issuer: a.issuer, id: 'j1' },
    });
  });

  it('SECURITY.md #1: alg none, an empty signature and an unlisted algorithm are refused', async () => {
    const verifier = verifierFor(a, { algorithms: ['RS256'] });
    const genuine = await a.sign();
    const [header, payload] = genuine.split('.');
    const now = Math.floor(clock.now / 1000);
    const claims = { sub: 'alice', aud: AUDIENCE, iss: a.issuer, iat: now, exp: now + 300 };
    await expectRefused(verifier, new UnsecuredJWT(claims).encode());
    await expectRefused(verifier, `${b64({ alg: 'none', typ: 'at+jwt' })}.${payload}.`);
    await expectRefused(verifier, `${b64({ alg: 'nOnE', kid: a.current.kid, typ: 'at+jwt' })}.${payload}.`);
    await expectRefused(verifier, `${header}.${payload}.`);
    const es = await generateKeyPair('ES256');
    await expectRefused(
      verifier,
      await new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid: a.current.kid, typ: 'at+jwt' })
        .sign(es.privateKey),
    );
    // The genuine one still passes: nothing above poisoned anything.
    await expect(verifier.verify(genuine)).resolves.toMatchObject({ subject: 'alice' });
  });

  it('SECURITY.md #2: an HS256 token keyed with the RS256 public key (PEM or JWK) is refused: one key, one algorithm', async () => {
    // Even a verifier that lists HS256 cannot be made: HMAC is refused beside a JWKS (see above). This one lists
    // RS256 only, as it must, and the attacker's token names the real kid.
    const verifier = verifierFor(a, { algorithms: ['RS256'] });
    const jwk = a.current.publicJwk;
    const { createPublicKey } = await import('node:crypto');
    const pem = createPublicKey({ key: jwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' }) as string;
    const now = Math.floor(clock.now / 1000);
    const claims = { sub: 'alice', aud: AUDIENCE, iss: a.issuer, iat: now, exp: now + 300 };
    for (const secret of [pem, pem.trim(), JSON.stringify(jwk)]) {
      const forged = await new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256', kid: jwk.kid!, typ: 'at+jwt' })
        .sign(new TextEncoder().encode(secret));
      await expectRefused(verifier, forged);
    }
    // The same with a hand-made HMAC (no library guard in the way).
    const signingInput = `${b64({ alg: 'HS256', kid: jwk.kid, typ: 'at+jwt' })}.${b64(claims)}`;
    const mac = createHmac('sha256', pem).update(signingInput).digest('base64url');
    await expectRefused(verifier, `${signingInput}.${mac}`);
  });

  it('SECURITY.md #3: an ES256 signature of 64 zero bytes (r = s = 0, CVE-2022-21449) is refused', async () => {
    const es = await startTestIssuer('ES256');
    issuers.push(es);
    const verifier = verifierFor(es, { algorithms: ['ES256'] });
    const genuine = await es.sign();
    await expect(verifier.verify(genuine)).resolves.toMatchObject({ subject: 'alice' });
    const [header, payload] = genuine.split('.');
    await expectRefused(verifier, `${header}.${payload}.${Buffer.alloc(64).toString('base64url')}`);
    // DER-encoded zeros too (some libraries accept either form).
    await expectRefused(
      verifier,
      `${header}.${payload}.${Buffer.from('3006020100020100', 'hex').toString('base64url')}`,
    );
  });

  it('SECURITY.md #4: a kid that is a path, SQL text or unknown is refused, and only looked up in memory', async () => {
    const verifier = verifierFor(a, { algorithms: ['RS256'] });
    await verifier.verify(await a.sign());
    const before = { ...a.requests };
    for (const kid of ['../../dev/null', '/etc/passwd', "' OR 1=1 --", 'x'.repeat(300), 'unknown-kid']) {
      await expectRefused(verifier, await a.sign({}, { header: { kid } }));
    }
    // One refetch at most (the cooldown), and never a request to anything but the JWKS URL.
    expect(a.requests.jwks - before.jwks).toBeLessThanOrEqual(1);
    expect(a.requests.other).toBe(before.other);
  });

  it('SECURITY.md #5: jku, x5u, x5c and an embedded jwk are never fetched or used; the token is refused', async () => {
    const verifier = verifierFor(a, { algorithms: ['RS256'] });
    await verifier.verify(await a.sign());
    const attacker = await generateKeyPair('RS256', { extractable: true });
    const attackerJwk = await exportJWK(attacker.publicKey);
    const now = Math.floor(clock.now / 1000);
    const claims = { sub: 'alice', aud: AUDIENCE, iss: a.issuer, iat: now, exp: now + 300 };
    const headers: Record<string, unknown>[] = [
      { jku: `${a.issuer}/attacker-jwks` },
      { x5u: `${a.issuer}/attacker-cert` },
      { jwk: attackerJwk },
      { x5c: ['MIIB'] },
    ];
    const before = a.requests.other;
    for (const extra of headers) {
      const byAttacker = await new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: 'attacker', ...extra })
        .sign(attacker.privateKey);
      await expectRefused(verifier, byAttacker);
      // Under the genuine kid and key, the header alone is reason enough to refuse.
      await expectRefused(verifier, await a.sign({}, { header: extra }));
    }
    expect(a.requests.other).toBe(before);
  });

  it('SECURITY.md #6: crit with an unknown extension, crit [] and crit [alg] are refused', async () => {
    const verifier = verifierFor(a, { algorithms: ['RS256'] });
    for (const header of [
      { crit: ['urn:example:unknown'], 'urn:example:unknown': true },
      { crit: [] },
      { crit: ['alg'] },
      { crit: 'exp' },
    ]) {
      // jose refuses to sign some of these itself; the token is assembled and signed by hand then.
      const signed = await a.sign({}, { header }).catch(async () => {
        const input = `${b64({ alg: 'RS256', kid: a.current.kid, typ: 'at+jwt', ...header })}.${b64({ sub: 'alice', aud: AUDIENCE, iss: a.issuer, exp: Math.floor(clock.now / 1000) + 300 })}`;
        const { sign } = await import('node:crypto');
        const { createPrivateKey } = await import('node:crypto');
        const key = createPrivateKey({ key: (await exportJWK(a.current.privateKey)) as never, format: 'jwk' });
        return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
      });
      await expectRefused(verifier, signed);
    }
  });

  it('SECURITY.md #7: a JWE (five parts) where a JWS is expected is refused', async () => {
    const verifier = verifierFor(a, { algorithms: ['RS256'] });
    const encryptionKey = await generateKeyPair('RSA-OAEP-256');
    const now = Math.floor(clock.now / 1000);
    const jwe = await new CompactEncrypt(
      new TextEncoder().encode(JSON.stringify({ sub: 'alice', aud: AUDIENCE, iss: a.issuer, exp: now + 300 })),
    )
      .setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: a.current.kid })
      .encrypt(encryptionKey.publicKey);
    expect(jwe.split('.')).toHaveLength(5);
    await expectRefused(verifier, jwe);
    // A nested JWT (a JWS inside a JWE) is refused as well: only a bare JWS is an access token here.
    await expectRefused(verifier, `${await a.sign()}.x.y`);
  });

  it('SECURITY.md #8: exp just past the skew is refused and just inside accepted; nbf ahead, no exp, old iat refused', async () => {
    const skew = 30_000;
    const verifier = verifierFor(a, { algorithms: ['RS256'], clockSkew: skew, maxTokenAge: 600_000 });
    const issuedAt = Math.floor(clock.now / 1000);
    const token = await a.sign({ iat: issuedAt, exp: issuedAt + 60 });
    const expiry = (issuedAt + 60) * 1000;
    clock.now = expiry + skew - 1000;
    await expect(verifier.verify(token)).resolves.toMatchObject({ subject: 'alice' });
    clock.now = expiry + skew + 1000;
    await expectRefused(verifier, token, 'expired');

    clock.now = issuedAt * 1000;
    await expect(verifier.verify(await a.sign({ nbf: issuedAt + 20 }, { now: clock.now }))).resolves.toBeTruthy();
    await expectRefused(verifier, await a.sign({ nbf: issuedAt + 40 }, { now: clock.now }));
    const { exp: _exp, ...noExp } = { sub: 'alice', aud: AUDIENCE, iss: a.issuer, iat: issuedAt, exp: 0 };
    await expectRefused(
      verifier,
      await new SignJWT(noExp)
        .setProtectedHeader({ alg: 'RS256', kid: a.current.kid, typ: 'at+jwt' })
        .sign(a.current.privateKey),
    );
    // Issued 11 minutes ago with a long exp: older than maxTokenAge (10 min), so expired.
    await expectRefused(verifier, await a.sign({ iat: issuedAt - 660, exp: issuedAt + 3600 }), 'expired');
    await expect(verifier.verify(await a.sign({ iat: issuedAt - 540, exp: issuedAt + 3600 }))).resolves.toBeTruthy();
  });

  it('SECURITY.md #9: aud missing or naming another service is refused; one of several configured audiences suffices', async () => {
    const verifier = verifierFor(a, { algorithms: ['RS256'], audience: [AUDIENCE, 'https://billing.test'] });
    await expectRefused(verifier, await a.sign({ aud: undefined }));
    await expectRefused(verifier, await a.sign({ aud: 'https://evil.test' }));
    await expectRefused(verifier, await a.sign({ aud: [] }));
    await expect(verifier.verify(await a.sign({ aud: ['x', 'https://billing.test'] }))).resolves.toBeTruthy();
  });

  it("SECURITY.md #10: issuer B's key with iss A is refused; the same sub from two issuers is two principals", async () => {
    const verifierA = verifierFor(a, { algorithms: ['RS256'] });
    const verifierB = verifierFor(b, { algorithms: ['RS256'] });
    // B signs a token that claims to be A's: under B's kid (unknown to A) and under A's kid.
    await expectRefused(verifierA, await b.sign({ iss: a.issuer }));
    await expectRefused(verifierA, await b.sign({ iss: a.issuer }, { header: { kid: a.current.kid } }));
    // A's genuine token is not B's either.
    await expectRefused(verifierB, await a.sign());
    const fromA = await verifierA.verify(await a.sign({ sub: 'same-user' }));
    const fromB = await verifierB.verify(await b.sign({ sub: 'same-user' }));
    expect(fromA.subject).toBe(fromB.subject);
    expect(fromA.credential.issuer).toBe(a.issuer);
    expect(fromB.credential.issuer).toBe(b.issuer);
    expect(`${fromA.credential.issuer} ${fromA.subject}`).not.toBe(`${fromB.credential.issuer} ${fromB.subject}`);
  });

  it('SECURITY.md #11: an ID token (typ JWT, or an ID token marker with a looser typ) is refused as an access token', async () => {
    const strict = verifierFor(a, { algorithms: ['RS256'] });
    await expectRefused(strict, await a.sign({ nonce: 'n' }, { header: { typ: 'JWT' } }));
    await expectRefused(strict, await a.sign({}, { header: { typ: 'JWT' } }));
    await expectRefused(strict, await a.sign({}, { header: { typ: undefined } }));
    await expectRefused(strict, await a.sign({}, { header: { typ: 'dpop+jwt' } }));
    await expect(strict.verify(await a.sign({}, { header: { typ: 'application/AT+JWT' } }))).resolves.toBeTruthy();
    // An issuer whose access tokens say `JWT` (Keycloak, Auth0) still does not get its ID tokens accepted.
    const loose = verifierFor(a, { algorithms: ['RS256'], typ: ['at+jwt', 'JWT'] });
    await expect(loose.verify(await a.sign({}, { header: { typ: 'JWT' } }))).resolves.toBeTruthy();
    await expectRefused(loose, await a.sign({ nonce: 'n', at_hash: 'h' }, { header: { typ: 'JWT' } }));
    await expectRefused(loose, await a.sign({ typ: 'ID' }, { header: { typ: 'JWT' } }));
  });

  it('SECURITY.md #12: an HMAC verifier with a long enough secret accepts its tokens and nothing signed otherwise', async () => {
    const secret = randomBytes(32);
    const verifier = createVerifier({
      issuer: 'https://hmac.test',
      audience: AUDIENCE,
      algorithms: ['HS256'],
      secret,
    });
    const claims = { sub: 'svc', aud: AUDIENCE, iss: 'https://hmac.test', exp: Math.floor(Date.now() / 1000) + 60 };
    const good = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' }).sign(secret);
    await expect(verifier.verify(good)).resolves.toMatchObject({ subject: 'svc' });
    const other = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' }).sign(randomBytes(32));
    await expectRefused(verifier, other);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    await expectRefused(
      verifier,
      await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt' }).sign(rsa),
    );
  });
});

describe('claim mapping', () => {
  it('maps Keycloak-style roles, scp lists, tenant, admin by role or claim, and the subject type', async () => {
    const verifier = verifierFor(a, {
      algorithms: ['RS256'],
      claims: {
        tenant: 'org.id',
        roles: ['realm_access.roles', 'resource_access.orders.roles'],
        admin: { role: 'orders-admin' },
        subjectType: { claim: 'kind' },
      },
    });
    const principal = await verifier.verify(
      await a.sign({
        org: { id: 'acme' },
        realm_access: { roles: ['user'] },
        resource_access: { orders: { roles: ['orders-admin', 'reader'] }, billing: { roles: ['billing-admin'] } },
        scp: ['orders.read', 'orders.write'],
        kind: 'agent',
      }),
    );
    expect(principal).toMatchObject({
      tenant: 'acme',
      roles: ['user', 'orders-admin', 'reader'],
      scopes: ['orders.read', 'orders.write'],
      admin: true,
      subjectType: 'agent',
    });
    const byClaim = verifierFor(a, { algorithms: ['RS256'], claims: { admin: { claim: 'is_admin' }, subject: 'oid' } });
    expect(await byClaim.verify(await a.sign({ is_admin: true, oid: 'object-7' }))).toMatchObject({
      admin: true,
      subject: 'object-7',
    });
    expect(await byClaim.verify(await a.sign({ oid: 'object-7' }))).toMatchObject({ admin: false });
    // A client credentials token (client_id = sub) is a service.
    expect(await verifierFor(a).verify(await a.sign({ sub: 'svc-1', client_id: 'svc-1' }))).toMatchObject({
      subjectType: 'service',
    });
  });

  it('SECURITY.md #50: wrong claim types and names a proxy would split refuse the token', async () => {
    const verifier = verifierFor(a, {
      algorithms: ['RS256'],
      claims: { tenant: 'tenant', roles: 'roles', admin: { claim: 'admin' }, subject: 'sub' },
    });
    for (const claims of [
      { roles: ['x,admin'] },
      { roles: 'admin viewer' },
      { roles: [1] },
      { scope: ['a b'] },
      { scp: 'a\u0000b' },
      { tenant: 42 },
      { tenant: ' acme' },
      { admin: 'true' },
      { sub: 'a\nb' },
      { sub: '' },
    ]) {
      await expectRefused(verifier, await a.sign(claims));
    }
  });
});

describe('SECURITY.md #13-#18: JWKS fetching', () => {
  it('SECURITY.md #13: 1,000 tokens with random kids in 30 s cause at most one fetch per cooldown; valid tokens still pass', async () => {
    const issuer = await startTestIssuer('EdDSA');
    issuers.push(issuer);
    const verifier = verifierFor(issuer, { algorithms: ['EdDSA'], cooldown: 30_000 });
    const genuine = await issuer.sign();
    await verifier.verify(genuine);
    const start = clock.now;
    const afterWarmUp = issuer.requests.jwks;
    const forged = await Promise.all(
      Array.from({ length: 1000 }, () => issuer.sign({}, { header: { kid: randomBytes(12).toString('base64url') } })),
    );
    for (const [index, token] of forged.entries()) {
      clock.now = start + index * 29; // 1,000 tokens within 29 s
      await expectRefused(verifier, token);
      if (index % 100 === 0) await expect(verifier.verify(genuine)).resolves.toBeTruthy();
    }
    expect(issuer.requests.jwks - afterWarmUp).toBeLessThanOrEqual(1);
    // Once the cooldown has passed, one more refetch is allowed.
    clock.now = start + 61_000;
    await expectRefused(verifier, forged[0]!);
    expect(issuer.requests.jwks - afterWarmUp).toBeLessThanOrEqual(2);
  });

  it('SECURITY.md #14: after a rotation the first token of the new kid is accepted after one refetch', async () => {
    const issuer = await startTestIssuer('RS256');
    issuers.push(issuer);
    const verifier = verifierFor(issuer, { algorithms: ['RS256', 'EdDSA'] });
    const old = await issuer.sign();
    await verifier.verify(old);
    clock.now += 31_000; // past the cooldown of the first fetch
    const before = issuer.requests.jwks;
    await issuer.rotate('EdDSA');
    const rotated = await issuer.sign({}, { now: clock.now });
    await expect(verifier.verify(rotated)).resolves.toMatchObject({ subject: 'alice' });
    expect(issuer.requests.jwks - before).toBe(1);
    await expect(verifier.verify(old)).resolves.toBeTruthy();
    expect(issuer.requests.jwks - before).toBe(1);
  });

  it('SECURITY.md #15: a hanging JWKS endpoint fails every waiting verification at the timeout, with one request in flight', async () => {
    const issuer = await startTestIssuer('RS256');
    issuers.push(issuer);
    const verifier = verifierFor(issuer, { algorithms: ['RS256'], jwksUri: issuer.jwksUri, fetchTimeout: 300 });
    const token = await issuer.sign();
    issuer.mode = 'hang';
    const started = performance.now();
    const results = await Promise.allSettled(Array.from({ length: 25 }, () => verifier.verify(token)));
    const elapsed = performance.now() - started;
    for (const result of results) {
      expect(result.status).toBe('rejected');
      expect((result as PromiseRejectedResult).reason).toMatchObject({ code: 'unavailable' });
    }
    expect(issuer.requests.jwks).toBe(1);
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(2000);
    // Within the failure backoff nobody waits again: the answer is immediate.
    const again = performance.now();
    await expectRefused(verifier, token, 'unavailable');
    expect(performance.now() - again).toBeLessThan(100);
    issuer.mode = 'ok';
    clock.now += FAILURE_BACKOFF_MS;
    await expect(verifier.verify(token)).resolves.toBeTruthy();
  });

  it('SECURITY.md #16: with the JWKS endpoint failing, last-known-good keys serve only within staleIfError, then deny', async () => {
    const issuer = await startTestIssuer('RS256');
    issuers.push(issuer);
    const verifier = verifierFor(issuer, {
      algorithms: ['RS256'],
      cacheMaxAge: 60_000,
      staleIfError: 120_000,
    });
    const start = clock.now;
    const token = await issuer.sign({ exp: Math.floor(start / 1000) + 3600 });
    await verifier.verify(token);
    issuer.mode = 'error';
    clock.now = start + 61_000; // stale: refetch fails, the last-known-good keys answer
    await expect(verifier.verify(token)).resolves.toBeTruthy();
    clock.now = start + 150_000;
    await expect(verifier.verify(token)).resolves.toBeTruthy();
    clock.now = start + 181_000; // past maxAge + staleIfError: nothing may be used
    await expectRefused(verifier, token, 'unavailable');
    issuer.mode = 'ok';
    clock.now += FAILURE_BACKOFF_MS;
    await expect(verifier.verify(token)).resolves.toBeTruthy();
  });

  it('SECURITY.md #17: a discovery document naming another issuer is refused, and its keys are never fetched', async () => {
    const issuer = await startTestIssuer('RS256');
    issuers.push(issuer);
    issuer.discoveryIssuer = 'https://evil.test';
    const verifier = verifierFor(issuer, { algorithms: ['RS256'] });
    const error = await verifier.verify(await issuer.sign()).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'unavailable' });
    expect((error as Error).message).toMatch(
      /names the issuer "https:\/\/evil.test"; it must equal the configured issuer/,
    );
    expect(issuer.requests.jwks).toBe(0);
    // A trailing slash is another issuer too (the comparison is exact).
    issuer.discoveryIssuer = `${issuer.issuer}/`;
    clock.now += FAILURE_BACKOFF_MS;
    await expectRefused(verifier, await issuer.sign(), 'unavailable');
    issuer.discoveryIssuer = issuer.issuer;
    clock.now += FAILURE_BACKOFF_MS;
    await expect(verifier.verify(await issuer.sign())).resolves.toBeTruthy();
    expect(issuer.requests.jwks).toBe(1);
  });

  it('SECURITY.md #18: a fetch failure under many concurrent tokens rejects each with unavailable, and nothing crashes', async () => {
    const issuer = await startTestIssuer('RS256');
    issuers.push(issuer);
    const verifier = verifierFor(issuer, { algorithms: ['RS256'] });
    issuer.mode = 'error';
    const tokens = await Promise.all(Array.from({ length: 10 }, (_, index) => issuer.sign({ sub: `u${index}` })));
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, (_, index) => verifier.verify(tokens[index % tokens.length]!)),
    );
    expect(results.every((result) => result.status === 'rejected')).toBe(true);
    for (const result of results)
      expect((result as PromiseRejectedResult).reason).toMatchObject({ code: 'unavailable' });
    expect(issuer.requests.discovery).toBe(1);
    // Garbage concurrently with the failure changes nothing either.
    const mixed = await Promise.allSettled(
      ['', 'a.b.c', 'x'.repeat(20_000), tokens[0]!].map((token) => verifier.verify(token)),
    );
    expect(mixed.every((result) => result.status === 'rejected')).toBe(true);
    issuer.mode = 'ok';
    clock.now += FAILURE_BACKOFF_MS;
    await expect(verifier.verify(tokens[0]!)).resolves.toMatchObject({ subject: 'u0' });
  });
});
