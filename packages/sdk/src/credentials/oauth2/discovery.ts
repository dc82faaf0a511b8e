import { CredentialError } from '../errors.js';
import { describeUnexpectedBody, exchange, type HttpContext } from './http.js';

/** The parts of RFC 8414 / OpenID Connect Discovery metadata this library uses. */
export interface AuthorizationServerMetadata {
  issuer: string;
  token_endpoint: string;
  authorization_endpoint?: string;
  token_endpoint_auth_methods_supported?: string[];
  code_challenge_methods_supported?: string[];
}

/**
 * Fetch the issuer's metadata: OpenID Connect's `/.well-known/openid-configuration` first, then RFC 8414's
 * `/.well-known/oauth-authorization-server` (path-inserted). The `issuer` in the document must equal the
 * configured issuer exactly (SECURITY.md #17): otherwise a document could redirect token requests elsewhere.
 */
export async function discoverMetadata(ctx: HttpContext, issuer: URL): Promise<AuthorizationServerMetadata> {
  const issuerText = issuer.href.replace(/\/$/, '');
  const path = issuer.pathname.replace(/\/$/, '');
  const candidates = [
    new URL(`${issuerText}/.well-known/openid-configuration`),
    new URL(`${issuer.origin}/.well-known/oauth-authorization-server${path}`),
  ];
  const failures: string[] = [];
  for (const url of candidates) {
    const answer = await exchange(ctx, 'discovery document', url, {
      method: 'GET',
      headers: { accept: 'application/json' },
    });
    if (answer.status !== 200) {
      failures.push(`${url.pathname} answered HTTP ${answer.status}`);
      continue;
    }
    const document = answer.json as Partial<AuthorizationServerMetadata> | undefined;
    if (!document || typeof document !== 'object') {
      failures.push(`${url.pathname} answered ${describeUnexpectedBody(answer, ctx.secrets())}`);
      continue;
    }
    if (document.issuer !== issuerText && document.issuer !== issuer.href) {
      throw new CredentialError(
        'discovery_failed',
        `credential "${ctx.credential}": discovery document of ${issuerText} names issuer "${String(document.issuer)}"; it must equal the configured issuer`,
        { credential: ctx.credential },
      );
    }
    if (typeof document.token_endpoint !== 'string') {
      throw new CredentialError(
        'discovery_failed',
        `credential "${ctx.credential}": discovery document of ${issuerText} has no token_endpoint`,
        {
          credential: ctx.credential,
        },
      );
    }
    return document as AuthorizationServerMetadata;
  }
  throw new CredentialError(
    'discovery_failed',
    `credential "${ctx.credential}": no discovery document at ${issuerText} (${failures.join('; ')})`,
    {
      credential: ctx.credential,
    },
  );
}
