/** The largest certificate accepted (DER bytes): a header or PEM beyond it is malformed, never parsed. */
export const MAX_CERTIFICATE_BYTES = 16_384;

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const PEM_CERTIFICATE = /^-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----$/;

/**
 * Canonical base64 only: Node's decoder skips characters it does not know, so `a!b` would decode as `ab` and
 * two different headers would name one certificate.
 */
export function strictBase64(text: string): Buffer | null {
  if (text.length === 0 || text.length % 4 !== 0 || !BASE64.test(text)) return null;
  const bytes = Buffer.from(text, 'base64');
  return bytes.length > 0 && bytes.length <= MAX_CERTIFICATE_BYTES ? bytes : null;
}

/**
 * The DER of a PEM text holding exactly one certificate, or null. Line breaks and spaces inside the base64 are
 * allowed (proxies fold them differently); anything after the certificate is not: a second certificate appended
 * (a repeated header joined by the HTTP parser) would otherwise pass unseen.
 */
export function pemToDer(pem: string): Buffer | null {
  const one = PEM_CERTIFICATE.exec(pem.trim());
  if (one === null) return null;
  return strictBase64(one[1]!.replace(/\s+/g, ''));
}
