/** The largest certificate accepted (DER bytes): a header or PEM beyond it is malformed, never parsed. */
export const MAX_CERTIFICATE_BYTES = 16_384;

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const PEM_CERTIFICATE = /^-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----\s*$/;

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
 * The DER of the first certificate of a PEM text (a proxy may append the chain after it), or null when the text
 * is not a PEM certificate. Line breaks and spaces inside the base64 are allowed: proxies fold them differently.
 */
export function pemToDer(pem: string): Buffer | null {
  const trimmed = pem.trimStart();
  const end = trimmed.indexOf('-----END CERTIFICATE-----');
  if (end === -1) return null;
  const first = PEM_CERTIFICATE.exec(trimmed.slice(0, end + '-----END CERTIFICATE-----'.length));
  return first ? strictBase64(first[1]!.replace(/\s+/g, '')) : null;
}
