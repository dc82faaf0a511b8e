import { strictBase64 } from '../pem.js';

/**
 * RFC 9440 `Client-Cert`: the DER certificate as a Structured Field Byte Sequence (RFC 8941 section 3.3.5),
 * base64 between colons: `Client-Cert: :MIIB...=:`. Null when it is not one.
 */
export function decodeClientCert(value: string): Buffer | null {
  const trimmed = value.trim();
  if (trimmed.length < 3 || !trimmed.startsWith(':') || !trimmed.endsWith(':')) return null;
  return strictBase64(trimmed.slice(1, -1));
}
