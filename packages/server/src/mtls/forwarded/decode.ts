import type { ForwardedCertificate } from '../../authn/types.js';
import { decodeClientCert } from './client-cert.js';
import { decodeXClientCert } from './x-client-cert.js';
import { decodeXfcc } from './xfcc.js';

/** One decoder per header format; a new format is a file in this folder and a line here. */
const DECODERS: Record<ForwardedCertificate['header'], (value: string) => Buffer | null> = {
  'x-client-cert': decodeXClientCert,
  'client-cert': decodeClientCert,
  'x-forwarded-client-cert': decodeXfcc,
};

/** The DER certificate a trusted proxy's header carries, or null when the header does not hold one. */
export function decodeForwardedCertificate(forwarded: ForwardedCertificate): Buffer | null {
  if (forwarded.value.length === 0 || forwarded.value.length > 65_536) return null;
  return DECODERS[forwarded.header](forwarded.value);
}
