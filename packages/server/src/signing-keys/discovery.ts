import type { Capability } from '../capability.js';

/**
 * The authorization server metadata (RFC 8414) of `/.well-known/oauth-authorization-server` and
 * `/.well-known/openid-configuration`: `issuer`, then what each capability contributes in engine order. Lists
 * two capabilities both give are joined without duplicates; for any other field the first capability wins, and
 * `issuer` is never replaced.
 */
export function discoveryDocument(capabilities: readonly Capability[], issuer: string): Record<string, unknown> {
  const document: Record<string, unknown> = { issuer };
  for (const capability of capabilities) {
    for (const [name, value] of Object.entries(capability.discoveryMetadata?.(issuer) ?? {})) {
      const existing = document[name];
      if (existing === undefined) document[name] = value;
      else if (Array.isArray(existing) && Array.isArray(value)) document[name] = [...new Set([...existing, ...value])];
    }
  }
  return document;
}
