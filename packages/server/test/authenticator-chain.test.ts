import type { Principal } from '@warden/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthenticatorChain } from '../src/authn/chain.js';
import { FailureAuditor } from '../src/authn/failure-auditor.js';
import type { PresentedCredential } from '../src/authn/presented.js';
import { type Authenticator, type AuthResult, denied, type RequestAttributes } from '../src/authn/types.js';
import { startTestWarden, type TestWarden } from './helpers/engine.js';
import { requestWith } from './helpers/requests.js';

/**
 * The chain knows no credential kind: an authenticator drops in as an object that says what it accepts. These
 * authenticators are written here the way a new file in authn/ would be (Basic, a session cookie, mTLS), next
 * to the real API key authenticator of the engine.
 */
const principal = (subject: string, kind: Principal['credential']['kind']): Principal => ({
  subject,
  subjectType: 'service',
  tenant: null,
  admin: false,
  roles: [],
  scopes: [],
  metadata: {},
  credential: { kind },
});

function authenticator(
  kind: Principal['credential']['kind'],
  accepts: (credential: PresentedCredential) => boolean,
  verify: (credential: PresentedCredential, attributes: RequestAttributes) => AuthResult,
  cookieNames?: string[],
): Authenticator & { seen: PresentedCredential[] } {
  const seen: PresentedCredential[] = [];
  return {
    kind,
    seen,
    ...(cookieNames ? { cookieNames } : {}),
    accepts,
    async authenticate(credential, attributes) {
      seen.push(credential);
      return verify(credential, attributes);
    },
  };
}

describe('the authenticator chain', () => {
  let t: TestWarden;
  let chain: AuthenticatorChain;
  let failures: FailureAuditor;
  const basic = authenticator(
    'basic',
    (c) => c.source === 'authorization' && c.scheme === 'basic',
    (c) =>
      'value' in c && Buffer.from(c.value, 'base64').toString() === 'svc:right-password'
        ? { ok: true, principal: principal('svc', 'basic') }
        : denied('invalid_credentials', undefined, 'svc'),
  );
  const session = authenticator(
    'session',
    (c) => c.source === 'cookie',
    () => ({ ok: true, principal: principal('user-1', 'session') }),
    ['warden_session'],
  );
  const mtls = authenticator(
    'mtls',
    (c) => c.source === 'certificate',
    () => ({ ok: true, principal: principal('validator-1', 'mtls') }),
  );

  beforeAll(async () => {
    t = await startTestWarden('sqlite');
    failures = new FailureAuditor({
      audit: t.warden.audit,
      limits: { perCredential: 100, perPeer: 100, perInstance: 100 },
      logger: t.warden.logger,
      now: Date.now,
    });
    // The engine's own API key authenticator first, then the drop-ins.
    chain = new AuthenticatorChain(
      // (The engine's own Basic and mTLS authenticators are left out: this file's stand in for them.)
      [
        ...t.warden.capabilities
          .flatMap((c) => c.authenticators)
          .filter((a) => a.kind !== 'basic' && a.kind !== 'mtls'),
        basic,
        session,
        mtls,
      ],
      failures,
    );
  });
  afterAll(() => t.close());

  const failureRows = async () => {
    await failures.flush();
    return t.warden.audit.list({ action: 'credential.verify_failed', limit: 100 });
  };

  it('each presented credential goes to the first authenticator that accepts it', async () => {
    const { key } = await t.warden.keys.create({ subject: 'keyed' }, { actor: 'test' });
    expect(await chain.authenticate(requestWith({ 'x-api-key': key }))).toMatchObject({
      ok: true,
      principal: { subject: 'keyed', credential: { kind: 'api_key' } },
    });
    const good = Buffer.from('svc:right-password').toString('base64');
    expect(await chain.authenticate(requestWith({ authorization: `Basic ${good}` }))).toMatchObject({
      principal: { subject: 'svc', credential: { kind: 'basic' } },
    });
    expect(await chain.authenticate(requestWith({ cookie: 'theme=dark; warden_session=abc123' }))).toMatchObject({
      principal: { credential: { kind: 'session' } },
    });
    expect(session.seen.at(-1)).toEqual({ source: 'cookie', name: 'warden_session', value: 'abc123' });
    const withCertificate = { ...requestWith({}), clientCertificate: '-----BEGIN CERTIFICATE-----\n...' };
    expect(await chain.authenticate(withCertificate)).toMatchObject({ principal: { credential: { kind: 'mtls' } } });
  });

  it('nothing presented is missing_credentials and is not audited; unknown schemes are malformed', async () => {
    const before = (await failureRows()).length;
    expect(await chain.authenticate(requestWith({ cookie: 'theme=dark' }))).toMatchObject({
      ok: false,
      code: 'missing_credentials',
    });
    expect(await failureRows()).toHaveLength(before);
    expect(await chain.authenticate(requestWith({ authorization: 'Digest abc' }))).toMatchObject({
      code: 'malformed_credentials',
      message: 'Malformed credentials: unsupported authorization scheme.',
    });
    const [row] = await failureRows();
    expect(row).toMatchObject({ reason: 'malformed_credentials', targetType: null, targetId: null });
  });

  it('a failure is audited as credential.verify_failed with the kind and id of the authenticator that refused it', async () => {
    const wrong = Buffer.from('svc:wrong').toString('base64');
    expect(
      await chain.authenticate(requestWith({ authorization: `Basic ${wrong}` }, { peer: '192.0.2.44' })),
    ).toMatchObject({
      code: 'invalid_credentials',
    });
    const [row] = await failureRows();
    expect(row).toMatchObject({
      action: 'credential.verify_failed',
      targetType: 'basic',
      targetId: 'svc',
      reason: 'invalid_credentials',
      peer: '192.0.2.44',
    });
  });
});
