import { pemToDer } from '../pem.js';

/**
 * Envoy's `X-Forwarded-Client-Cert` (XFCC): elements separated by `,` (one per proxy hop), each a `;`-separated
 * list of `Key=Value` pairs, a value optionally in double quotes (with `\"` inside); `Cert` is the URL-encoded
 * PEM of the client certificate. Only a header of one element is accepted: the edge Envoy should be configured
 * with `forward_client_cert_details: SANITIZE_SET`, and with several hops it is not clear whose client a
 * certificate is. Null when there is no usable `Cert`.
 */
export function decodeXfcc(value: string): Buffer | null {
  const elements = splitOutsideQuotes(value, ',');
  if (elements === null || elements.length !== 1) return null;
  const pairs = splitOutsideQuotes(elements[0]!, ';');
  if (pairs === null) return null;
  let cert: string | null = null;
  for (const pair of pairs) {
    const equals = pair.indexOf('=');
    if (equals <= 0) return null;
    if (pair.slice(0, equals).trim().toLowerCase() !== 'cert') continue;
    if (cert !== null) return null; // Cert given twice: which one?
    cert = unquote(pair.slice(equals + 1).trim());
  }
  if (cert === null) return null;
  let pem: string;
  try {
    pem = decodeURIComponent(cert);
  } catch {
    return null;
  }
  return pemToDer(pem);
}

/** `text` split on `separator` where it is not inside double quotes; null for an unterminated quote. */
function splitOutsideQuotes(text: string, separator: string): string[] | null {
  const parts: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '\\' && quoted) i++;
    else if (char === '"') quoted = !quoted;
    else if (char === separator && !quoted) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (quoted) return null;
  parts.push(text.slice(start));
  return parts;
}

function unquote(value: string): string {
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
    return value.slice(1, -1).replace(/\\(.)/g, '$1');
  }
  return value;
}
