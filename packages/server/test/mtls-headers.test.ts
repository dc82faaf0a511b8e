import { beforeAll, describe, expect, it } from 'vitest';
import { decodeClientCert } from '../src/mtls/forwarded/client-cert.js';
import { decodeXClientCert } from '../src/mtls/forwarded/x-client-cert.js';
import { decodeXfcc } from '../src/mtls/forwarded/xfcc.js';
import { type GeneratedCertificate, generateCertificate } from '../src/mtls/generate.js';
import { pemToDer } from '../src/mtls/pem.js';

/** Each header format's decoder on what real proxies send, and on what a client or a broken proxy could send. */
let cert: GeneratedCertificate;
let der: Buffer;
beforeAll(async () => {
  cert = await generateCertificate({ organization: 'Acme', notAfterDays: 1 });
  der = pemToDer(cert.certificatePem)!;
});
const base64 = () => der.toString('base64');

describe('X-Client-Cert (nginx $ssl_client_escaped_cert)', () => {
  it('decodes the URL-escaped PEM, with any line folding', () => {
    expect(decodeXClientCert(encodeURIComponent(cert.certificatePem))).toEqual(der);
    const folded = `-----BEGIN CERTIFICATE-----\r\n${base64().replace(/(.{76})/g, '$1\r\n')}\r\n-----END CERTIFICATE-----`;
    expect(decodeXClientCert(encodeURIComponent(folded))).toEqual(der);
  });

  it.each([
    ['empty', () => ''],
    ['a broken escape', () => '%E0%A4%A'],
    ['PEM of another type', () => encodeURIComponent(cert.publicKeyPem)],
    [
      'two certificates (a repeated header joined)',
      () => `${encodeURIComponent(cert.certificatePem)}, ${encodeURIComponent(cert.certificatePem)}`,
    ],
    ['text around the certificate', () => encodeURIComponent(`x${cert.certificatePem}`)],
    ['base64 that is not canonical', () => encodeURIComponent(cert.certificatePem.replace('MII', 'MI!I'))],
  ])('refuses %s', (_name, value) => {
    expect(decodeXClientCert(value())).toBeNull();
  });
});

describe('Client-Cert (RFC 9440)', () => {
  it('decodes a Structured Field Byte Sequence of the DER', () => {
    expect(decodeClientCert(`:${base64()}:`)).toEqual(der);
    expect(decodeClientCert(` :${base64()}: `)).toEqual(der);
  });

  it.each([
    ['no colons', () => base64()],
    ['one colon', () => `:${base64()}`],
    ['base64url', () => `:${base64().replaceAll('+', '-').replaceAll('/', '_')}:`],
    ['extra padding', () => `:${base64()}=:`],
    ['two values (a repeated header joined)', () => `:${base64()}:, :${base64()}:`],
    ['empty', () => '::'],
  ])('refuses %s', (_name, value) => {
    expect(decodeClientCert(value())).toBeNull();
  });
});

describe('X-Forwarded-Client-Cert (Envoy XFCC)', () => {
  const cert64 = () => encodeURIComponent(cert.certificatePem);

  it('reads Cert of the one element, quoted or not, among the other keys', () => {
    expect(decodeXfcc(`By=spiffe://a/b;Hash=0123;Cert="${cert64()}";Subject="O=Acme,CN=x";URI=`)).toEqual(der);
    expect(decodeXfcc(`Hash=0123;Cert=${cert64()}`)).toEqual(der);
    expect(decodeXfcc(`Subject="a \\"quoted\\" ; value, with separators";cert="${cert64()}"`)).toEqual(der);
  });

  it.each([
    ['no Cert', () => 'By=a;Hash=b'],
    ['two elements (two hops)', () => `Cert="${cert64()}",Cert="${cert64()}"`],
    ['Cert twice', () => `Cert="${cert64()}";Cert="${cert64()}"`],
    ['an unterminated quote', () => `Cert="${cert64()}`],
    ['a pair without =', () => `Hash;Cert="${cert64()}"`],
    ['a Cert that is not a certificate', () => 'Cert="abc"'],
  ])('refuses %s', (_name, value) => {
    expect(decodeXfcc(value())).toBeNull();
  });
});
