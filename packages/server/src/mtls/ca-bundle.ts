import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../config/errors.js';

/** A trusted CA: its certificate and the dates it may vouch within. */
interface TrustedCa {
  certificate: X509Certificate;
  notBefore: number;
  notAfter: number;
}

/**
 * The CAs of `mtls.ca_file`. Each is a trust anchor: a client certificate must be signed directly by one of them
 * (one level, as a private client CA issues them; intermediates are listed in the bundle themselves).
 */
export class CaBundle {
  private constructor(private readonly cas: readonly TrustedCa[]) {}

  static fromFile(path: string): CaBundle {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      throw new ConfigError(`mtls.ca_file: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    const cas = blocks.map((block) => {
      try {
        const certificate = new X509Certificate(block);
        return { certificate, notBefore: Date.parse(certificate.validFrom), notAfter: Date.parse(certificate.validTo) };
      } catch {
        throw new ConfigError(`mtls.ca_file: ${path} holds a certificate that cannot be parsed`);
      }
    });
    if (cas.length === 0) throw new ConfigError(`mtls.ca_file: ${path} holds no PEM certificate`);
    return new CaBundle(cas);
  }

  /**
   * The validity window of the CA that signed `der`, or null when none of them did. Signatures are checked here,
   * once per certificate (the caller caches); the dates, which change with the clock, are checked per request.
   */
  issuerOf(der: Buffer): { notBefore: number; notAfter: number } | null {
    let leaf: X509Certificate;
    try {
      leaf = new X509Certificate(der);
    } catch {
      return null;
    }
    for (const ca of this.cas) {
      if (leaf.checkIssued(ca.certificate) && leaf.verify(ca.certificate.publicKey)) {
        return { notBefore: ca.notBefore, notAfter: ca.notAfter };
      }
    }
    return null;
  }
}
