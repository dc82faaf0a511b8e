import type { DecisionErrorCode } from '@warden/sdk';
import { isLabel } from '../identity/names.js';
import type { CaBundle } from './ca-bundle.js';
import { spkiSha256 } from './public-key.js';
import { x509 } from './x509.js';

/**
 * What a client certificate says, parsed once and cached (by a digest of the bytes it arrived as): everything
 * the authenticator checks per request without parsing X.509 again. Dates are checked per request (the clock
 * moves); the CA signature is checked here, once.
 */
export interface CertificateFacts {
  /** The principal's subject (the O or the CN, as configured); null when the certificate has no usable one. */
  subject: string | null;
  /** SHA-256 (hex) of the certificate's SubjectPublicKeyInfo: what pins are compared with. */
  spkiSha256: string;
  serialNumber: string;
  notBefore: number;
  notAfter: number;
  /** The validity window of the CA that signed it (chain validation on), undefined when no CA is configured, null when none did. */
  issuer: { notBefore: number; notAfter: number } | null | undefined;
}

export type ParsedCertificate = { ok: true; facts: CertificateFacts } | { ok: false; code: DecisionErrorCode };

/**
 * Parses a DER certificate with @peculiar/x509. Only the first value of the subject attribute counts; a
 * certificate with two O values names two organizations, and is refused rather than guessed at.
 */
export function parseCertificate(
  der: Buffer,
  subjectFrom: 'organization' | 'common_name',
  cas: CaBundle | null,
): ParsedCertificate {
  let certificate: x509.X509Certificate;
  try {
    certificate = new x509.X509Certificate(der);
  } catch {
    return { ok: false, code: 'certificate_malformed' };
  }
  const values = certificate.subjectName.getField(subjectFrom === 'organization' ? 'O' : 'CN');
  const subject = values.length === 1 && isLabel(values[0]!) ? values[0]! : null;
  return {
    ok: true,
    facts: {
      subject,
      spkiSha256: spkiSha256(new Uint8Array(certificate.publicKey.rawData)),
      serialNumber: certificate.serialNumber,
      notBefore: certificate.notBefore.getTime(),
      notAfter: certificate.notAfter.getTime(),
      issuer: cas === null ? undefined : cas.issuerOf(der),
    },
  };
}
