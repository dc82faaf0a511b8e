import { X509Certificate } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateCertificate } from '../src/mtls/generate.js';
import {
  bootstrapKeysIn,
  buildCli,
  onCleanup,
  runCleanups,
  serve,
  warden,
  wardenJson,
  workDir,
} from './helpers/cli.js';

beforeAll(buildCli, 180_000);
afterEach(runCleanups);

const derBase64 = (pem: string) => pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');

describe('certs generate', () => {
  it('writes client.key (mode 0600) and client.crt naming the organization; a second run skips, --force-recreate replaces', async () => {
    const cwd = workDir();
    const first = await wardenJson(
      ['certs', 'generate', '--organization', 'Acme Corp', '--common-name', 'orders-svc', '--out', 'certs'],
      { cwd },
    );
    expect(first).toMatchObject({ generated: true, subject: 'Acme Corp', pinned: null, published: null });
    const keyFile = join(cwd, 'certs', 'client.key');
    const certFile = join(cwd, 'certs', 'client.crt');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const certText = readFileSync(certFile, 'utf8');
    const cert = new X509Certificate(certText);
    expect(cert.subject).toContain('O=Acme Corp');
    expect(cert.subject).toContain('CN=orders-svc');
    expect(Date.parse(cert.validTo) - Date.parse(cert.validFrom)).toBe(3650 * 86_400_000);
    // The key and the certificate belong together.
    expect(cert.checkPrivateKey((await import('node:crypto')).createPrivateKey(readFileSync(keyFile)))).toBe(true);

    const again = await warden(['certs', 'generate', '--organization', 'Acme Corp', '--out', 'certs'], { cwd });
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('exist: skipped (--force-recreate replaces them)');
    expect(readFileSync(certFile, 'utf8')).toBe(certText);

    const recreated = await wardenJson(
      [
        'certs',
        'generate',
        '--organization',
        'Acme Corp',
        '--out',
        'certs',
        '--force-recreate',
        '--not-after-days',
        '30',
      ],
      { cwd },
    );
    expect(recreated.generated).toBe(true);
    expect(readFileSync(certFile, 'utf8')).not.toBe(certText);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
  });

  it('refuses a half pair without --force-recreate, and names the flag of every usage mistake (exit 2)', async () => {
    const cwd = workDir();
    writeFileSync(join(cwd, 'client.key'), 'left over');
    const half = await warden(['certs', 'generate', '--organization', 'Acme'], { cwd });
    expect(half.code).toBe(1);
    expect(half.stderr).toContain('exists without its pair');
    for (const [args, text] of [
      [['--organisation', 'Acme'], "unknown option '--organisation' (did you mean --organization?)"],
      [['--organization', 'Acme', '--not-after-days', '0'], '--not-after-days: must be at least 1'],
      [['--organization', 'Acme', '--ca-cert', 'ca.crt'], '--ca-key: is required'],
      [['--organization', 'Acme', '--pin', '--publish', 'http://127.0.0.1:1/'], '--pin: give --pin'],
      [['--organization', 'Acme', '--publish', 'ftp://x'], '--publish: must be an http(s) URL'],
      [['--organization', ' Acme'], '--organization: must be 1-200 characters'],
    ] as const) {
      const run = await warden(['certs', 'generate', '--out', 'elsewhere', ...args], { cwd });
      expect({ args, code: run.code }).toEqual({ args, code: 2 });
      expect(run.stderr).toContain(text);
    }
  });

  it('--ca-cert and --ca-key sign the certificate with that CA', async () => {
    const cwd = workDir();
    const ca = await generateCertificate({ organization: 'Test CA', notAfterDays: 30, isCa: true });
    writeFileSync(join(cwd, 'ca.crt'), ca.certificatePem);
    writeFileSync(join(cwd, 'ca.key'), ca.keyPem);
    await wardenJson(['certs', 'generate', '--organization', 'Acme', '--ca-cert', 'ca.crt', '--ca-key', 'ca.key'], {
      cwd,
    });
    const issued = new X509Certificate(readFileSync(join(cwd, 'client.crt')));
    const authority = new X509Certificate(ca.certificatePem);
    expect(issued.checkIssued(authority) && issued.verify(authority.publicKey)).toBe(true);
  });

  it('--pin registers the public key in the store, and warden serve then accepts the certificate', async () => {
    const cwd = workDir();
    const generated = await wardenJson(['certs', 'generate', '--organization', 'Acme Corp', '--pin'], { cwd });
    expect(generated.pinned).toMatchObject({ subject: 'Acme Corp', createdBy: 'cli' });
    const pins = await wardenJson(['certs', 'pins'], { cwd });
    expect(pins.items.map((pin: { subject: string }) => pin.subject)).toEqual(['Acme Corp']);
    // Run again: the pair is kept, and --pin pins the kept certificate's key again (idempotent provisioning).
    const again = await wardenJson(['certs', 'generate', '--organization', 'Acme Corp', '--pin'], { cwd });
    expect(again).toMatchObject({ generated: false, pinned: { spkiSha256: generated.pinned.spkiSha256 } });

    writeFileSync(join(cwd, 'warden.yaml'), 'mtls:\n  proxy_headers: [client-cert]\n');
    const served = await serve(cwd);
    const certificate = readFileSync(join(cwd, 'client.crt'), 'utf8');
    const allowed = await fetch(`${served.baseUrl}/v1/decide/orders`, {
      headers: { 'client-cert': `:${derBase64(certificate)}:` },
    });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('x-auth-subject')).toBe('Acme Corp');
    expect(allowed.headers.get('x-auth-credential')).toBe('mtls');
    expect(bootstrapKeysIn(served.stdout())).toHaveLength(1);

    // Unpinned from the CLI while the server runs: refused once the server's pin cache (1 s) has passed.
    expect((await wardenJson(['certs', 'unpin', 'Acme Corp'], { cwd })).unpinned).toBe(true);
    const deadline = Date.now() + 5_000;
    let code = '';
    while (Date.now() < deadline) {
      const response = await fetch(`${served.baseUrl}/v1/decide/orders`, {
        headers: { 'client-cert': `:${derBase64(certificate)}:` },
      });
      code = ((await response.json()) as { error?: string }).error ?? '';
      if (code === 'certificate_not_registered') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(code).toBe('certificate_not_registered');
    const missing = await warden(['certs', 'unpin', 'Acme Corp'], { cwd });
    expect(missing.code).toBe(1);
  });

  it('--publish PUTs the public key to the remote registry at <url>/<organization>', async () => {
    const received: { method: string; url: string; body: string }[] = [];
    const registry = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        received.push({ method: request.method!, url: request.url!, body });
        response.writeHead(request.url === '/pins/Broken' ? 500 : 204).end();
      });
    });
    await new Promise<void>((resolve) => registry.listen(0, '127.0.0.1', resolve));
    onCleanup(() => new Promise((resolve) => registry.close(() => resolve())));
    const url = `http://127.0.0.1:${(registry.address() as AddressInfo).port}/pins`;
    const cwd = workDir();
    const answer = await wardenJson(['certs', 'generate', '--organization', 'Acme Corp', '--publish', url], { cwd });
    expect(answer.published).toBe(`${url}/Acme%20Corp`);
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ method: 'PUT', url: '/pins/Acme%20Corp' });
    expect(JSON.parse(received[0]!.body)).toEqual({ public_key: answer.publicKey });
    const refused = await warden(['certs', 'generate', '--organization', 'Broken', '--out', 'b', '--publish', url], {
      cwd,
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('answered 500');
  });
});

describe('certs pin', () => {
  it('pins a key from a certificate (its subject) or a public key file (--subject), and refuses what is not a key', async () => {
    const cwd = workDir();
    const cert = await generateCertificate({ organization: 'Acme', notAfterDays: 30 });
    writeFileSync(join(cwd, 'acme.crt'), cert.certificatePem);
    writeFileSync(join(cwd, 'other.pub'), cert.publicKeyPem);
    writeFileSync(join(cwd, 'garbage.pub'), 'not a key');
    expect(await wardenJson(['certs', 'pin', '--cert', 'acme.crt'], { cwd })).toMatchObject({ subject: 'Acme' });
    expect(
      await wardenJson(['certs', 'pin', '--public-key', 'other.pub', '--subject', 'Other'], { cwd }),
    ).toMatchObject({ subject: 'Other' });
    const garbage = await warden(['certs', 'pin', '--public-key', 'garbage.pub', '--subject', 'G'], { cwd });
    expect(garbage.code).toBe(2);
    expect(garbage.stderr).toContain('publicKey: must be a PEM public key');
    const both = await warden(['certs', 'pin', '--cert', 'acme.crt', '--public-key', 'other.pub'], { cwd });
    expect(both.code).toBe(2);
    const audit = await wardenJson(['certs', 'pins'], { cwd });
    expect(audit.items).toHaveLength(2);
  });

  it('--scope, --role and --tenant: what the certificates of the subject hold; a bad name names its flag', async () => {
    const cwd = workDir();
    const cert = await generateCertificate({ organization: 'Validators', notAfterDays: 30 });
    writeFileSync(join(cwd, 'v.crt'), cert.certificatePem);
    const pinned = await wardenJson(
      [
        'certs',
        'pin',
        '--cert',
        'v.crt',
        '--scope',
        'blocks.read',
        '--scope',
        'blocks.write',
        '--role',
        'validator',
        '--tenant',
        'mainnet',
      ],
      { cwd },
    );
    expect(pinned).toMatchObject({
      subject: 'Validators',
      scopes: ['blocks.read', 'blocks.write'],
      roles: ['validator'],
      tenant: 'mainnet',
    });
    const shown = await warden(['certs', 'pin', '--cert', 'v.crt', '--scope', 'blocks.read'], { cwd });
    expect(shown.stdout).toMatch(/^scopes\s+blocks\.read$/m);
    const bad = await warden(['certs', 'pin', '--cert', 'v.crt', '--scope', 'two words'], { cwd });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--scope');
  });
});
