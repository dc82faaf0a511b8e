import { isIPv4, isIPv6 } from 'node:net';

const PREFIX = /^\d{1,3}$/;

/**
 * Why `entry` is not an IP address or CIDR (`10.0.0.1`, `10.0.0.0/8`, `::1`, `fd00::/8`), or null when it is one.
 * Stricter than node's BlockList, which reads a prefix with Number(): `10.0.0.0/` would be a /0 there and trust
 * every peer. Everything accepted here is accepted by TrustedProxies (http/request-attributes.ts).
 */
export function ipOrCidrProblem(entry: string): string | null {
  const parts = entry.split('/');
  const [address, prefix] = parts as [string, string | undefined];
  const version = isIPv4(address) ? 4 : isIPv6(address) ? 6 : null;
  if (version === null || parts.length > 2) return `${entry} is not an IP or CIDR`;
  if (prefix === undefined) return null;
  const max = version === 4 ? 32 : 128;
  if (!PREFIX.test(prefix) || Number(prefix) > max) {
    return `${entry} is not an IP or CIDR: the prefix length of an IPv${version} CIDR is 0 to ${max}`;
  }
  return null;
}
