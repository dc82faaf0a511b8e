import { createPrivateKey, randomBytes, webcrypto } from 'node:crypto';
import { WardenError } from '../errors/warden-error.js';
import { x509 } from './x509.js';

const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGN_WITH_EC = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

export interface CertificateRequest {
  organization: string;
  commonName?: string;
  notAfterDays: number;
  /** Sign with this CA (PEM certificate and PKCS#8 or SEC1/PKCS#1 PEM key); absent: self-signed. */
  ca?: { certificatePem: string; keyPem: string };
  /** A CA certificate (basic constraints CA, keyCertSign) instead of a client one: test fixtures and demos. */
  isCa?: boolean;
  /** Subject alternative names, for a server certificate (Warden's own TLS listener in tests and demos). */
  dnsNames?: string[];
  ipAddresses?: string[];
  now?: Date;
}

export interface GeneratedCertificate {
  /** PKCS#8 PEM of a new P-256 key. */
  keyPem: string;
  certificatePem: string;
  /** SPKI PEM of the certificate's public key: what a pin registers. */
  publicKeyPem: string;
}

/** The WebCrypto algorithm that signs with a CA key of this kind; other kinds are refused by name. */
function caSigning(keyPem: string): { key: Promise<webcrypto.CryptoKey>; algorithm: { name: string; hash: string } } {
  let key: ReturnType<typeof createPrivateKey>;
  try {
    key = createPrivateKey(keyPem);
  } catch {
    throw new WardenError('invalid_request', '--ca-key: not a PEM private key');
  }
  const pkcs8 = key.export({ format: 'der', type: 'pkcs8' });
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    const namedCurve = curve === 'prime256v1' ? 'P-256' : curve === 'secp384r1' ? 'P-384' : null;
    if (namedCurve === null) throw new WardenError('invalid_request', '--ca-key: EC keys on P-256 or P-384 only');
    const hash = namedCurve === 'P-256' ? 'SHA-256' : 'SHA-384';
    return {
      key: webcrypto.subtle.importKey('pkcs8', pkcs8, { name: 'ECDSA', namedCurve }, false, ['sign']),
      algorithm: { name: 'ECDSA', hash },
    };
  }
  if (key.asymmetricKeyType === 'rsa') {
    const algorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
    return { key: webcrypto.subtle.importKey('pkcs8', pkcs8, algorithm, false, ['sign']), algorithm };
  }
  throw new WardenError('invalid_request', `--ca-key: ${key.asymmetricKeyType} keys are not supported (EC or RSA)`);
}

/** A positive serial number of 128 random bits (RFC 5280 4.1.2.2: at most 20 octets, unpredictable). */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  return bytes.toString('hex');
}

/**
 * A new P-256 key and a certificate for it naming `O=organization` (and `CN=commonName`): self-signed, or signed
 * by the given CA. A client certificate carries `clientAuth` in its extended key usage.
 */
export async function generateCertificate(request: CertificateRequest): Promise<GeneratedCertificate> {
  const keys = (await webcrypto.subtle.generateKey(EC_P256, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const subject: x509.JsonName = [
    { O: [request.organization] },
    ...(request.commonName !== undefined ? [{ CN: [request.commonName] }] : []),
  ];
  const notBefore = request.now ?? new Date();
  const notAfter = new Date(notBefore.getTime() + request.notAfterDays * DAY_MS);
  const extensions: x509.Extension[] = request.isCa
    ? [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      ]
    : [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension(
          [
            x509.ExtendedKeyUsage.clientAuth,
            ...(request.dnsNames || request.ipAddresses ? [x509.ExtendedKeyUsage.serverAuth] : []),
          ],
          false,
        ),
      ];
  const names = [
    ...(request.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(request.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  if (names.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(names));
  extensions.push(await x509.SubjectKeyIdentifierExtension.create(keys.publicKey as never));

  let certificate: x509.X509Certificate;
  if (request.ca === undefined) {
    certificate = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serialNumber(),
      name: subject,
      notBefore,
      notAfter,
      signingAlgorithm: SIGN_WITH_EC,
      keys: keys as never,
      extensions,
    });
  } else {
    let caCertificate: x509.X509Certificate;
    try {
      caCertificate = new x509.X509Certificate(request.ca.certificatePem);
    } catch {
      throw new WardenError('invalid_request', '--ca-cert: not a PEM certificate');
    }
    const signing = caSigning(request.ca.keyPem);
    certificate = await x509.X509CertificateGenerator.create({
      serialNumber: serialNumber(),
      subject,
      issuer: caCertificate.subject,
      notBefore,
      notAfter,
      signingAlgorithm: signing.algorithm,
      publicKey: keys.publicKey as never,
      signingKey: (await signing.key) as never,
      extensions,
    });
    const caKey = await caCertificate.publicKey.export();
    if (!(await certificate.verify({ publicKey: caKey, signatureOnly: true }))) {
      throw new WardenError('invalid_request', '--ca-key: is not the key of --ca-cert');
    }
  }
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const withNewline = (pem: string) => (pem.endsWith('\n') ? pem : `${pem}\n`);
  return {
    keyPem: withNewline(x509.PemConverter.encode(pkcs8, 'PRIVATE KEY')),
    certificatePem: withNewline(certificate.toString('pem')),
    publicKeyPem: withNewline(certificate.publicKey.toString('pem')),
  };
}
