import { fetchJsonObject, insecureUrlProblem } from './http.js';

/**
 * The issuer's `jwks_uri` from its OpenID Connect discovery document (`<issuer>/.well-known/openid-configuration`).
 * The document's `issuer` must equal the configured issuer exactly (SECURITY.md #17; OpenID Connect Discovery
 * §4.3): a document naming another issuer could hand us another party's keys.
 */
export async function discoverJwksUri(
  issuer: string,
  options: { fetch: typeof globalThis.fetch; timeoutMs: number; allowInsecureHttp: boolean },
): Promise<URL> {
  const url = new URL(`${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`);
  const document = await fetchJsonObject(options.fetch, url, options.timeoutMs);
  if (document['issuer'] !== issuer) {
    throw new Error(
      `the discovery document of ${issuer} names the issuer ${JSON.stringify(String(document['issuer']).slice(0, 200))}; it must equal the configured issuer`,
    );
  }
  const jwksUri = document['jwks_uri'];
  let parsed: URL;
  try {
    parsed = new URL(typeof jwksUri === 'string' ? jwksUri : '');
  } catch {
    throw new Error(`the discovery document of ${issuer} has no valid jwks_uri`);
  }
  const problem = insecureUrlProblem(parsed, options.allowInsecureHttp);
  if (problem) throw new Error(`the discovery document of ${issuer}: jwks_uri ${problem}`);
  return parsed;
}
