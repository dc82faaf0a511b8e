import { webcrypto } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ForwardedCertificate } from '../src/authn/types.js';
import type { Decision } from '../src/authz/decide.js';
import type { WardenConfigInput } from '../src/config/schema.js';
import { buildApp } from '../src/http/app.js';
import { type GeneratedCertificate, generateCertificate } from '../src/mtls/generate.js';
import { x509 } from '../src/mtls/x509.js';
import { createTestDatabase, type TestDatabase, tempDir, testDialects } from './helpers/databases.js';
import { startTestWarden, type TestWarden } from './helpers/engine.js';

const dialects = await testDialects();
const START = Date.parse('2026-01-01T00:00:00Z');
const DAY = 86_400_000;

/** A certificate valid from the frozen clock of the test engines. */
const certificate = (organization: string, extra: Partial<Parameters<typeof generateCertificate>[0]> = {}) =>
  generateCertificate({ organization, notAfterDays: 30, now: new Date(START - DAY), ...extra });

/** The three header forms a trusted proxy may forward a certificate in. */
const asXClientCert = (cert: GeneratedCertificate) => encodeURIComponent(cert.certificatePem);
const derBase64 = (cert: GeneratedCertificate) =>
  cert.certificatePem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
const asClientCert = (cert: GeneratedCertificate) => `:${derBase64(cert)}:`;
const asXfcc = (cert: GeneratedCertificate) =>
  `By=spiffe://cluster.local/ns/default/sa/warden;Hash=abc123;Cert="${encodeURIComponent(cert.certificatePem)}";Subject="O=x";URI=`;

interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
}

function send(port: number, headers: Record<string, string>, path = '/v1/decide/orders'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: '127.0.0.1', port, path, headers }, (response) => collect(response, resolve));
    outgoing.on('error', reject);
    outgoing.end();
  });
}

function collect(response: IncomingMessage, resolve: (answer: Answer) => void): void {
  let text = '';
  response.setEncoding('utf8');
  response.on('data', (chunk) => {
    text += chunk;
  });
  response.on('end', () => {
    resolve({ status: response.statusCode!, headers: response.headers, body: text ? JSON.parse(text) : {} });
  });
}

async function listen(t: TestWarden): Promise<{ app: FastifyInstance; port: number }> {
  const app = buildApp(t.warden);
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, port: (app.server.address() as AddressInfo).port };
}

/** Attributes of a decision on a certificate a trusted proxy forwarded in `header`, as the programmatic API takes them. */
const forwardedAttributes = (header: ForwardedCertificate['header'], value: string) => ({
  method: 'GET',
  host: 'api.example',
  path: '/orders',
  headers: {},
  peer: '127.0.0.1',
  forwardedCertificate: { header, value },
});

const codeOf = (decision: Decision) => (decision.allow ? null : decision.code);

const PROXY_HEADERS = ['x-client-cert', 'client-cert', 'x-forwarded-client-cert'] as const;
const RULES = [{ name: 'services', path: '/**', authenticators: ['mtls', 'api_key'] }];

describe.each(dialects)('mTLS with pins in the store on %s', (dialect) => {
  let database: TestDatabase;
  let t: TestWarden;
  let app: FastifyInstance;
  let port: number;
  let acme: GeneratedCertificate;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    t = await startTestWarden(dialect, {
      database,
      frozenClock: true,
      config: {
        rules: RULES,
        server: { trusted_proxies: ['127.0.0.1/32'] },
        mtls: { proxy_headers: [...PROXY_HEADERS], pins: { cache_ttl: '5s' } },
      } as WardenConfigInput,
    });
    ({ app, port } = await listen(t));
    acme = await certificate('Acme Corp', { commonName: 'orders-svc' });
    await t.warden.pins.pin({ subject: 'Acme Corp', publicKey: acme.publicKeyPem }, { actor: 'test' });
  });

  afterAll(async () => {
    await app?.close();
    await t?.close();
    await database?.drop();
  });

  it.each([
    ['X-Client-Cert (nginx $ssl_client_escaped_cert)', 'x-client-cert', asXClientCert],
    ['Client-Cert (RFC 9440)', 'client-cert', asClientCert],
    ['X-Forwarded-Client-Cert (Envoy XFCC)', 'x-forwarded-client-cert', asXfcc],
  ])(
    'a pinned certificate in %s from a trusted proxy is allowed, with identity headers',
    async (_name, header, form) => {
      const answer = await send(port, { [header]: form(acme) });
      expect(answer.status).toBe(200);
      expect(answer.headers['x-auth-subject']).toBe('Acme Corp');
      expect(answer.headers['x-auth-subject-type']).toBe('service');
      expect(answer.headers['x-auth-credential']).toBe('mtls');
    },
  );

  it('SECURITY.md #43: a certificate whose public key differs from the pinned key is refused', async () => {
    // Same subject, same CN, another key: a copy of the name is not the key.
    const impostor = await certificate('Acme Corp', { commonName: 'orders-svc' });
    for (const [header, form] of [
      ['x-client-cert', asXClientCert],
      ['client-cert', asClientCert],
      ['x-forwarded-client-cert', asXfcc],
    ] as const) {
      const answer = await send(port, { [header]: form(impostor) });
      expect(answer.status).toBe(401);
      expect(answer.body.error).toBe('certificate_key_mismatch');
      // The answer never tells the caller which key was expected.
      const text = JSON.stringify(answer);
      const pinnedBase64 = acme.publicKeyPem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
      expect(text).not.toContain(pinnedBase64.slice(30, 60));
    }
  });

  it('each failed check answers 401 with its own code, never a 5xx', async () => {
    const noOrganization = await certificateWithoutOrganization();
    const expired = await certificate('Acme Corp', { now: new Date(START - 40 * DAY) });
    const future = await certificate('Acme Corp', { now: new Date(START + 2 * DAY) });
    const unknown = await certificate('Nobody Inc');
    await t.warden.pins.pin({ subject: 'Nobody Inc', publicKey: unknown.publicKeyPem }, { actor: 'test' });
    await t.warden.pins.unpin('Nobody Inc', { actor: 'test' });
    const cases: [string, Record<string, string>, string][] = [
      ['garbage', { 'x-client-cert': 'not a certificate' }, 'certificate_malformed'],
      ['a broken %-escape', { 'x-client-cert': '%E0%A4%A' }, 'certificate_malformed'],
      [
        'PEM of garbage',
        { 'x-client-cert': encodeURIComponent('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----') },
        'certificate_malformed',
      ],
      ['Client-Cert without colons', { 'client-cert': derBase64(acme) }, 'certificate_malformed'],
      ['Client-Cert with non-canonical base64', { 'client-cert': `:${derBase64(acme)}!:` }, 'certificate_malformed'],
      ['XFCC with an unterminated quote', { 'x-forwarded-client-cert': 'Cert="abc' }, 'certificate_malformed'],
      ['XFCC without Cert', { 'x-forwarded-client-cert': 'By=x;Hash=y' }, 'certificate_malformed'],
      ['XFCC of two hops', { 'x-forwarded-client-cert': `${asXfcc(acme)},${asXfcc(acme)}` }, 'certificate_malformed'],
      [
        'two certificate headers at once',
        { 'x-client-cert': asXClientCert(acme), 'client-cert': asClientCert(acme) },
        'certificate_malformed',
      ],
      ['an expired certificate', { 'client-cert': asClientCert(expired) }, 'certificate_expired'],
      ['a certificate not valid yet', { 'client-cert': asClientCert(future) }, 'certificate_not_yet_valid'],
      ['a subject nobody pinned', { 'client-cert': asClientCert(unknown) }, 'certificate_not_registered'],
      ['a certificate without an Organization', { 'client-cert': `:${noOrganization}:` }, 'certificate_no_subject'],
    ];
    for (const [name, headers, code] of cases) {
      const answer = await send(port, headers);
      expect({ name, status: answer.status, code: answer.body.error }).toEqual({ name, status: 401, code });
    }
  });

  it('unpinning evicts at once in this process, and a new pin replaces the old key at once', async () => {
    const beta = await certificate('Beta');
    const headers = { 'client-cert': asClientCert(beta) };
    await t.warden.pins.pin({ subject: 'Beta', publicKey: beta.publicKeyPem }, { actor: 'test' });
    expect((await send(port, headers)).status).toBe(200);
    expect((await send(port, headers)).status).toBe(200); // from both caches
    await t.warden.pins.unpin('Beta', { actor: 'test' });
    expect((await send(port, headers)).body.error).toBe('certificate_not_registered');
    const rotated = await certificate('Beta');
    await t.warden.pins.pin({ subject: 'Beta', publicKey: rotated.publicKeyPem }, { actor: 'test' });
    expect((await send(port, headers)).body.error).toBe('certificate_key_mismatch');
    expect((await send(port, { 'client-cert': asClientCert(rotated) })).status).toBe(200);
  });

  it('a pin grants scopes, roles and a tenant to its certificates; a new pin changes them at once', async () => {
    const delta = await certificate('Delta');
    const headers = { 'client-cert': asClientCert(delta) };
    const attributes = forwardedAttributes('client-cert', asClientCert(delta));
    await t.warden.pins.pin(
      {
        subject: 'Delta',
        publicKey: delta.publicKeyPem,
        scopes: ['orders.read'],
        roles: ['validator'],
        tenant: 'delta',
      },
      { actor: 'test' },
    );
    const granted = await send(port, headers);
    expect(granted.status).toBe(200);
    expect(granted.headers).toMatchObject({
      'x-auth-scopes': 'orders.read',
      'x-auth-roles': 'validator',
      'x-auth-tenant': 'delta',
    });
    expect(
      (await t.warden.decide(attributes, { scopes: ['orders.read'], anyRole: ['validator'], tenant: 'delta' })).allow,
    ).toBe(true);
    expect(await t.warden.decide(attributes, { scopes: ['orders.write'] })).toMatchObject({
      allow: false,
      code: 'insufficient_scope',
    });
    // The same key pinned again without grants: the next decision already lacks them.
    await t.warden.pins.pin({ subject: 'Delta', publicKey: delta.publicKeyPem }, { actor: 'test' });
    expect(await t.warden.decide(attributes, { scopes: ['orders.read'] })).toMatchObject({
      allow: false,
      code: 'insufficient_scope',
    });
    expect((await send(port, headers)).headers['x-auth-scopes'] ?? '').toBe('');
    // Names follow the alphabets of every other credential (SECURITY.md #50).
    await expect(
      t.warden.pins.pin(
        { subject: 'Delta', publicKey: delta.publicKeyPem, scopes: ['bad scope, x'] },
        { actor: 'test' },
      ),
    ).rejects.toMatchObject({ code: 'invalid_request' });
  });

  it('an unpin by another process (the CLI, another instance) takes effect within pins.cache_ttl', async () => {
    const gamma = await certificate('Gamma');
    const headers = { 'x-client-cert': asXClientCert(gamma) };
    await t.warden.pins.pin({ subject: 'Gamma', publicKey: gamma.publicKeyPem }, { actor: 'test' });
    expect((await send(port, headers)).status).toBe(200);
    const other = await startTestWarden(dialect, { database, config: { mtls: {} } as WardenConfigInput });
    try {
      await other.warden.pins.unpin('Gamma', { actor: 'cli' });
    } finally {
      await other.warden.close();
    }
    // Within the bound the cached pin may still answer; past it, never.
    t.clock.now += 5_001;
    expect((await send(port, headers)).body.error).toBe('certificate_not_registered');
    t.clock.now -= 5_001;
  });

  it('a repeated certificate is parsed once: the cache is keyed on a digest of the header bytes', async () => {
    const authenticator = t.warden.capabilities.find((capability) => capability.name === 'mtls')!.authenticators[0]!;
    const cached = () => (authenticator as unknown as { parsed: Map<string, unknown> }).parsed.size;
    const delta = await certificate('Acme Corp');
    const before = cached();
    for (let i = 0; i < 3; i++) await send(port, { 'client-cert': asClientCert(delta) });
    expect(cached()).toBe(before + 1);
    // The same certificate in another header format is other bytes: one more entry, the same answer.
    await send(port, { 'x-client-cert': asXClientCert(delta) });
    expect(cached()).toBe(before + 2);
  });

  it('pins are managed through /v1/admin/pins, audited like keys', async () => {
    const { key } = await t.warden.keys.create({ subject: 'root', admin: true }, { actor: 'test' });
    const auth = { authorization: `Bearer ${key}` };
    const epsilon = await certificate('Epsilon');
    const created = await app.inject({
      method: 'POST',
      url: '/v1/admin/pins',
      headers: auth,
      payload: { subject: 'Epsilon', publicKey: epsilon.publicKeyPem },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ subject: 'Epsilon', createdBy: 'root' });
    const bad = await app.inject({
      method: 'POST',
      url: '/v1/admin/pins',
      headers: auth,
      payload: { subject: 'Epsilon', publicKey: 'not a key' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toBe('invalid_request');
    const listed = await app.inject({ method: 'GET', url: '/v1/admin/pins', headers: auth });
    expect(listed.json().items.map((pin: { subject: string }) => pin.subject)).toContain('Epsilon');
    expect((await app.inject({ method: 'GET', url: '/v1/admin/pins' })).statusCode).toBe(401);
    const deleted = await app.inject({ method: 'DELETE', url: '/v1/admin/pins/Epsilon', headers: auth });
    expect(deleted.json()).toEqual({ subject: 'Epsilon', unpinned: true });
    expect((await app.inject({ method: 'DELETE', url: '/v1/admin/pins/Epsilon', headers: auth })).statusCode).toBe(404);
    const audit = await t.warden.audit.list({ targetId: 'Epsilon' });
    expect(audit.map((event) => [event.action, event.actor])).toEqual([
      ['certificate_pin.delete', 'root'],
      ['certificate_pin.create', 'root'],
    ]);
  });
});

describe('SECURITY.md #44: certificate headers from a peer that is not a trusted proxy', () => {
  let t: TestWarden;
  let app: FastifyInstance;
  let port: number;
  let acme: GeneratedCertificate;

  beforeAll(async () => {
    t = await startTestWarden('sqlite', {
      frozenClock: true,
      // Every header format is read, but only from 10.0.0.0/8: this test's 127.0.0.1 is not a trusted proxy.
      config: {
        rules: RULES,
        server: { trusted_proxies: ['10.0.0.0/8'] },
        mtls: { proxy_headers: [...PROXY_HEADERS] },
      } as WardenConfigInput,
    });
    ({ app, port } = await listen(t));
    acme = await certificate('Acme Corp');
    await t.warden.pins.pin({ subject: 'Acme Corp', publicKey: acme.publicKeyPem }, { actor: 'test' });
  });

  afterAll(async () => {
    await app?.close();
    await t?.close();
  });

  it('SECURITY.md #44: X-Client-Cert, Client-Cert, X-Forwarded-Client-Cert and X-SSL-Client-* from an untrusted peer are ignored', async () => {
    const sets: Record<string, string>[] = [
      { 'x-client-cert': asXClientCert(acme) },
      { 'client-cert': asClientCert(acme) },
      { 'x-forwarded-client-cert': asXfcc(acme) },
      {
        'x-ssl-client-cert': asXClientCert(acme),
        'x-ssl-client-verify': 'SUCCESS',
        'x-ssl-client-s-dn': 'O=Acme Corp',
      },
    ];
    for (const headers of sets) {
      const answer = await send(port, headers);
      // Ignored: as if no credential was sent at all, not a verification that failed.
      expect(answer.status).toBe(401);
      expect(answer.body.error).toBe('missing_credentials');
      expect(answer.headers['x-auth-subject']).toBeUndefined();
    }
  });

  it('a header the configuration does not list is ignored even from a trusted proxy', async () => {
    const attributes = {
      method: 'GET',
      host: 'api.example',
      path: '/orders',
      headers: { 'x-ssl-client-cert': asXClientCert(acme) },
      peer: '10.0.0.1',
    };
    expect(codeOf(await t.warden.decide(attributes))).toBe('missing_credentials');
  });
});

describe('mTLS validation modes', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function engine(config: Record<string, unknown>) {
    const t = await startTestWarden('sqlite', {
      frozenClock: true,
      config: { rules: RULES, ...config } as WardenConfigInput,
    });
    cleanups.push(() => t.close());
    return t;
  }
  const decideWith = (t: TestWarden, cert: GeneratedCertificate) =>
    t.warden.decide(forwardedAttributes('client-cert', asClientCert(cert)));

  it('CA chain: a certificate signed by the configured CA is allowed without a pin; another is untrusted', async () => {
    const ca = await certificate('Warden Test CA', { isCa: true, notAfterDays: 365 });
    const otherCa = await certificate('Other CA', { isCa: true, notAfterDays: 365 });
    const dir = tempDir('warden-mtls-ca');
    writeFileSync(join(dir, 'ca.pem'), ca.certificatePem);
    const t = await engine({ mtls: { ca_file: join(dir, 'ca.pem'), pins: { registry: 'off' } } });
    const signed = await certificate('Acme Corp', { ca: { certificatePem: ca.certificatePem, keyPem: ca.keyPem } });
    const foreign = await certificate('Acme Corp', {
      ca: { certificatePem: otherCa.certificatePem, keyPem: otherCa.keyPem },
    });
    const selfSigned = await certificate('Acme Corp');
    expect(await decideWith(t, signed)).toMatchObject({ allow: true, principal: { subject: 'Acme Corp' } });
    expect(codeOf(await decideWith(t, foreign))).toBe('certificate_untrusted');
    expect(codeOf(await decideWith(t, selfSigned))).toBe('certificate_untrusted');
  });

  it('CA chain and pin together: both must hold', async () => {
    const ca = await certificate('Warden Test CA', { isCa: true, notAfterDays: 365 });
    const dir = tempDir('warden-mtls-ca');
    writeFileSync(join(dir, 'ca.pem'), ca.certificatePem);
    const t = await engine({ mtls: { ca_file: join(dir, 'ca.pem') } });
    const signed = await certificate('Acme Corp', { ca: { certificatePem: ca.certificatePem, keyPem: ca.keyPem } });
    expect(codeOf(await decideWith(t, signed))).toBe('certificate_not_registered');
    await t.warden.pins.pin({ subject: 'Acme Corp', publicKey: signed.publicKeyPem }, { actor: 'test' });
    expect((await decideWith(t, signed)).allow).toBe(true);
  });

  it('subject_from common_name names the principal and its pin by CN; a certificate without one has no subject', async () => {
    const t = await engine({ mtls: { subject_from: 'common_name', subject_type: 'agent' } });
    const withCn = await certificate('Acme Corp', { commonName: 'billing-agent' });
    const withoutCn = await certificate('Acme Corp');
    await t.warden.pins.pin({ subject: 'billing-agent', publicKey: withCn.publicKeyPem }, { actor: 'test' });
    expect(await decideWith(t, withCn)).toMatchObject({
      allow: true,
      principal: { subject: 'billing-agent', subjectType: 'agent', credential: { kind: 'mtls' } },
    });
    expect(codeOf(await decideWith(t, withoutCn))).toBe('certificate_no_subject');
  });

  it('a forwardedCertificate that is not { header, value } is refused as invalid_request', async () => {
    const t = await engine({});
    const attributes = { method: 'GET', host: 'h', path: '/', headers: {}, peer: '127.0.0.1' };
    for (const forwardedCertificate of [
      { header: 'x-ssl-client-cert', value: 'x' },
      { header: 'client-cert' },
      'pem',
    ]) {
      await expect(t.warden.decide({ ...attributes, forwardedCertificate } as never)).rejects.toMatchObject({
        code: 'invalid_request',
      });
    }
  });

  it('configuration mistakes are refused at start', async () => {
    await expect(engine({ mtls: { pins: { registry: 'off' } } })).rejects.toThrow(/ca_file must be set/);
    await expect(engine({ mtls: { pins: { registry: 'remote' } } })).rejects.toThrow(/endpoint/);
    await expect(
      engine({ mtls: { pins: { registry: 'remote', endpoint: 'http://registry.example/pins' } } }),
    ).rejects.toThrow(/must be https/);
    await expect(engine({ mtls: { ca_file: '/nonexistent/ca.pem' } })).rejects.toThrow(/cannot read/);
    await expect(engine({ mtls: { proxy_headers: ['x-ssl-client-cert'] } })).rejects.toThrow(/proxy_headers/);
  });
});

describe('mTLS with a remote pin registry (a real HTTP server)', () => {
  let registry: Server;
  let registryPort: number;
  let registered: Record<string, string>;
  let asked: string[];
  let mode: 'answer' | 'fail' | 'hang' | 'garbage';
  let t: TestWarden;
  let acme: GeneratedCertificate;
  const hanging: ServerResponse[] = [];

  beforeAll(async () => {
    registered = {};
    asked = [];
    mode = 'answer';
    registry = createServer((incoming, response) => {
      const subject = decodeURIComponent((incoming.url ?? '').replace(/^\/pins\//, ''));
      asked.push(subject);
      if (mode === 'hang') {
        hanging.push(response);
        return;
      }
      if (mode === 'fail') {
        response.writeHead(500).end();
        return;
      }
      if (mode === 'garbage') {
        response.writeHead(200, { 'content-type': 'application/json' }).end('{"public_key": "not a key"}');
        return;
      }
      const key = registered[subject];
      if (key === undefined) response.writeHead(404).end();
      else response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ public_key: key }));
    });
    await new Promise<void>((resolve) => registry.listen(0, '127.0.0.1', resolve));
    registryPort = (registry.address() as AddressInfo).port;
    t = await startTestWarden('sqlite', {
      frozenClock: true,
      config: {
        rules: RULES,
        mtls: {
          pins: {
            registry: 'remote',
            endpoint: `http://127.0.0.1:${registryPort}/pins`,
            timeout: '300ms',
            cache_ttl: '1m',
          },
        },
      } as WardenConfigInput,
    });
    acme = await certificate('Acme Corp');
  });

  afterAll(async () => {
    for (const response of hanging) response.destroy();
    await t?.close();
    registry?.closeAllConnections();
    await new Promise((resolve) => registry?.close(resolve));
  });

  const decide = (cert: GeneratedCertificate) =>
    t.warden.decide(forwardedAttributes('x-client-cert', asXClientCert(cert)));

  it('GET {endpoint}/{organization}: a registered key allows, and is cached by organization for cache_ttl', async () => {
    registered['Acme Corp'] = acme.publicKeyPem;
    expect(await decide(acme)).toMatchObject({ allow: true });
    expect((await decide(acme)).allow).toBe(true);
    expect(asked).toEqual(['Acme Corp']);
    // The registry now holds another key: past the TTL the new answer counts.
    const rotated = await certificate('Acme Corp');
    registered['Acme Corp'] = derBase64Spki(rotated);
    t.clock.now += 60_001;
    expect(codeOf(await decide(acme))).toBe('certificate_key_mismatch');
    expect((await decide(rotated)).allow).toBe(true);
    expect(asked).toEqual(['Acme Corp', 'Acme Corp']);
  });

  it('one lookup per organization: concurrent decisions share it, and every certificate of the organization uses it', async () => {
    const beta = await certificate('Beta');
    const betaToo = await certificate('Beta');
    registered.Beta = beta.publicKeyPem;
    const before = asked.length;
    const answers = await Promise.all([decide(beta), decide(beta), decide(betaToo), decide(beta)]);
    expect(answers.map((answer) => codeOf(answer))).toEqual([null, null, 'certificate_key_mismatch', null]);
    expect(asked.slice(before)).toEqual(['Beta']);
  });

  it('404 is not registered', async () => {
    const nobody = await certificate('Nobody');
    expect(codeOf(await decide(nobody))).toBe('certificate_not_registered');
  });

  it('a registry that fails, answers no usable key, hangs past the timeout or is down denies with 503: fail closed, never allow', async () => {
    t.clock.now += 3_600_000; // past every cached answer
    mode = 'fail';
    expect(await decide(acme)).toMatchObject({ allow: false, status: 503, code: 'unavailable' });
    mode = 'garbage';
    expect(await decide(acme)).toMatchObject({ allow: false, status: 503, code: 'unavailable' });
    mode = 'hang';
    expect(await decide(acme)).toMatchObject({ allow: false, status: 503, code: 'unavailable' });
    mode = 'answer';
    const down = await startTestWarden('sqlite', {
      frozenClock: true,
      config: {
        rules: RULES,
        mtls: { pins: { registry: 'remote', endpoint: 'http://127.0.0.1:1/pins', timeout: '300ms' } },
      } as WardenConfigInput,
    });
    try {
      expect(
        await down.warden.decide({
          method: 'GET',
          host: 'api.example',
          path: '/orders',
          headers: {},
          peer: '127.0.0.1',
          forwardedCertificate: { header: 'x-client-cert', value: asXClientCert(acme) },
        }),
      ).toMatchObject({ allow: false, status: 503, code: 'unavailable' });
    } finally {
      await down.close();
    }
    expect(t.logLines.join('\n')).toContain('certificate pin registry did not answer');
  });
});

/** Base64 DER of a certificate whose subject is only a CN (`warden certs generate` always writes an O). */
async function certificateWithoutOrganization(): Promise<string> {
  const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: 'CN=no-organization',
    notBefore: new Date(START - DAY),
    notAfter: new Date(START + 30 * DAY),
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    keys: keys as never,
  });
  return Buffer.from(cert.rawData).toString('base64');
}

function derBase64Spki(cert: GeneratedCertificate): string {
  return cert.publicKeyPem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
}

describe("Warden's own TLS listener (server.tls with request_cert)", () => {
  let t: TestWarden;
  let app: FastifyInstance;
  let port: number;
  let server: GeneratedCertificate;
  let client: GeneratedCertificate;

  beforeAll(async () => {
    server = await generateCertificate({
      organization: 'Warden',
      commonName: 'localhost',
      notAfterDays: 30,
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1'],
    });
    client = await generateCertificate({ organization: 'Acme Corp', notAfterDays: 30 });
    const dir = tempDir('warden-tls');
    writeFileSync(join(dir, 'server.crt'), server.certificatePem);
    writeFileSync(join(dir, 'server.key'), server.keyPem);
    t = await startTestWarden('sqlite', {
      config: {
        rules: RULES,
        server: {
          tls: { cert_file: join(dir, 'server.crt'), key_file: join(dir, 'server.key'), request_cert: true },
        },
      } as WardenConfigInput,
    });
    await t.warden.pins.pin({ subject: 'Acme Corp', publicKey: client.publicKeyPem }, { actor: 'test' });
    ({ app, port } = await listen(t));
  });

  afterAll(async () => {
    await app?.close();
    await t?.close();
  });

  const sendTls = (options: { key?: string; cert?: string }): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const outgoing = httpsRequest(
        { host: '127.0.0.1', port, path: '/v1/decide/orders', ca: server.certificatePem, agent: false, ...options },
        (response) => collect(response, resolve),
      );
      outgoing.on('error', reject);
      outgoing.end();
    });

  it('a client certificate presented in the TLS handshake authenticates, pinned by its Organization', async () => {
    const answer = await sendTls({ key: client.keyPem, cert: client.certificatePem });
    expect(answer.status).toBe(200);
    expect(answer.headers['x-auth-subject']).toBe('Acme Corp');
    expect(answer.headers['x-auth-credential']).toBe('mtls');
  });

  it('a client without a certificate still connects, and is asked for credentials', async () => {
    const answer = await sendTls({});
    expect(answer.status).toBe(401);
    expect(answer.body.error).toBe('missing_credentials');
  });

  it("from a trusted proxy that forwards certificates, the proxy's own TLS certificate is not its client's", async () => {
    // The same listener, now told that its trusted peers (127.0.0.1) are proxies passing X-Client-Cert.
    const dir = tempDir('warden-tls-proxy');
    writeFileSync(join(dir, 'server.crt'), server.certificatePem);
    writeFileSync(join(dir, 'server.key'), server.keyPem);
    const proxied = await startTestWarden('sqlite', {
      database: t.database,
      config: {
        rules: RULES,
        server: {
          tls: { cert_file: join(dir, 'server.crt'), key_file: join(dir, 'server.key'), request_cert: true },
        },
        mtls: { proxy_headers: ['x-client-cert'] },
      } as WardenConfigInput,
    });
    const listening = await listen(proxied);
    try {
      const asProxy = (headers: Record<string, string>): Promise<Answer> =>
        new Promise((resolve, reject) => {
          const outgoing = httpsRequest(
            {
              host: '127.0.0.1',
              port: listening.port,
              path: '/v1/decide/orders',
              ca: server.certificatePem,
              agent: false,
              key: client.keyPem,
              cert: client.certificatePem,
              headers,
            },
            (response) => collect(response, resolve),
          );
          outgoing.on('error', reject);
          outgoing.end();
        });
      // The proxy's connection holds a pinned certificate, but no client certificate was forwarded.
      expect((await asProxy({})).body.error).toBe('missing_credentials');
      // What the proxy forwards is what counts.
      const forwarded = await asProxy({ 'x-client-cert': encodeURIComponent(client.certificatePem) });
      expect(forwarded.status).toBe(200);
    } finally {
      await listening.app.close();
      await proxied.warden.close();
    }
  });

  it('a certificate with another key than the pinned one is refused (SECURITY.md #43 over TLS)', async () => {
    const impostor = await generateCertificate({ organization: 'Acme Corp', notAfterDays: 30 });
    const answer = await sendTls({ key: impostor.keyPem, cert: impostor.certificatePem });
    expect(answer.status).toBe(401);
    expect(answer.body.error).toBe('certificate_key_mismatch');
  });
});
