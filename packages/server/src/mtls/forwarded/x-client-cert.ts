import { pemToDer } from '../pem.js';

/**
 * `X-Client-Cert` as nginx sends it with `proxy_set_header X-Client-Cert $ssl_client_escaped_cert`: the PEM,
 * URL-escaped (percent-encoded) so its line breaks fit in a header. Null when it does not decode to a PEM
 * certificate.
 */
export function decodeXClientCert(value: string): Buffer | null {
  let pem: string;
  try {
    pem = decodeURIComponent(value);
  } catch {
    return null; // a broken %-escape
  }
  return pemToDer(pem);
}
