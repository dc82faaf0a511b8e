import { readFileSync } from 'node:fs';
import type { FieldSpecs, ParsedFields } from '../config/fields.js';
import type { RefreshPlan } from '../providers/provider.js';
import { Secret } from '../secret.js';
import { isLoopbackHost } from './http.js';

export const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'] as const;
export type ClientAuthMethod = (typeof CLIENT_AUTH_METHODS)[number];

/** Refresh at 75% of a token's lifetime unless told otherwise: late enough to use it, early enough to retry. */
export const DEFAULT_REFRESH_FRACTION = 0.75;

/** Fields every OAuth 2.0 credential type shares. */
export const OAUTH_COMMON_FIELDS: FieldSpecs = {
  token_url: { kind: 'url' },
  issuer: { kind: 'url' },
  client_id: { kind: 'string' },
  client_secret: { kind: 'secret' },
  client_auth: { kind: 'enum', values: CLIENT_AUTH_METHODS },
  private_key: { kind: 'secret' },
  private_key_file: { kind: 'string' },
  private_key_alg: {
    kind: 'enum',
    values: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'],
  },
  key_id: { kind: 'string' },
  scopes: { kind: 'string_list' },
  audience: { kind: 'string' },
  resource: { kind: 'string_list' },
  refresh_fraction: { kind: 'fraction' },
  refresh_interval: { kind: 'duration' },
  timeout: { kind: 'duration' },
  allow_insecure_http: { kind: 'boolean' },
};

/** The parsed settings of one OAuth 2.0 client. */
export interface OAuthSettings {
  credential: string;
  issuer: URL | null;
  tokenUrl: URL | null;
  authorizationUrl: URL | null;
  clientId: string;
  clientAuth: ClientAuthMethod;
  clientSecret: Secret | null;
  /** PEM (PKCS#8) or a JWK as JSON. */
  privateKey: Secret | null;
  privateKeyAlg: string | null;
  keyId: string | null;
  scopes: string[];
  audience: string | null;
  resource: string[];
  allowInsecureHttp: boolean;
  timeoutMs: number | null;
}

/**
 * Checks shared by all OAuth types: exactly one of token_url / issuer (or, with `needsAuthorizationUrl`,
 * issuer or token_url + authorization_url), client_id, and a consistent client authentication.
 */
export function checkOAuthCommon(
  fields: ParsedFields,
  options: { secretRequired: boolean; needsAuthorizationUrl?: boolean },
): string[] {
  const problems: string[] = [];
  const has = (name: string) => fields[name] !== undefined;
  if (options.needsAuthorizationUrl) {
    if (has('issuer') && (has('token_url') || has('authorization_url'))) {
      problems.push('give either issuer or token_url + authorization_url, not both');
    } else if (!has('issuer') && !(has('token_url') && has('authorization_url'))) {
      problems.push(
        has('token_url') || has('authorization_url')
          ? `missing ${has('token_url') ? 'authorization_url' : 'token_url'} (or use issuer for discovery)`
          : 'missing issuer (or token_url + authorization_url)',
      );
    }
  } else if (has('issuer') && has('token_url')) {
    problems.push('give either issuer or token_url, not both');
  } else if (!has('issuer') && !has('token_url')) {
    problems.push('missing token_url or issuer');
  }
  if (!has('client_id')) problems.push('missing client_id');

  const method = fields['client_auth'] as ClientAuthMethod | undefined;
  const hasKey = has('private_key') || has('private_key_file');
  if (has('private_key') && has('private_key_file'))
    problems.push('give either private_key or private_key_file, not both');
  if (method === 'private_key_jwt') {
    if (!hasKey) problems.push('missing private_key or private_key_file (client_auth is private_key_jwt)');
    if (has('client_secret')) problems.push('extra client_secret (client_auth is private_key_jwt)');
  } else {
    if (hasKey) problems.push('extra private_key/private_key_file (set client_auth: private_key_jwt to use a key)');
    if (has('private_key_alg') || has('key_id'))
      problems.push('extra private_key_alg/key_id (only for client_auth: private_key_jwt)');
    if (method === 'none' && has('client_secret')) problems.push('extra client_secret (client_auth is none)');
    if ((method === 'client_secret_basic' || method === 'client_secret_post') && !has('client_secret')) {
      problems.push(`missing client_secret (client_auth is ${method})`);
    }
    if (method === undefined && options.secretRequired && !has('client_secret')) {
      problems.push('missing client_secret (or client_auth: private_key_jwt with private_key)');
    }
  }
  if (has('refresh_fraction') && has('refresh_interval'))
    problems.push('give either refresh_fraction or refresh_interval, not both');

  if (fields['private_key_file'] !== undefined) {
    try {
      readFileSync(fields['private_key_file'] as string, 'utf8');
    } catch (error) {
      problems.push(`private_key_file cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }

  // Tokens and secrets over plain http can be read by anyone on the path; loopback is the one safe exception.
  if (fields['allow_insecure_http'] !== true) {
    for (const name of ['token_url', 'issuer', 'authorization_url']) {
      const url = fields[name];
      if (url instanceof URL && url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
        problems.push(
          `${name} uses http on a non-loopback host (use https, or set allow_insecure_http: true for a test setup)`,
        );
      }
    }
  }
  return problems;
}

export function readOAuthSettings(
  credential: string,
  fields: ParsedFields,
  defaultAuth: ClientAuthMethod,
): OAuthSettings {
  const privateKeyFile = fields['private_key_file'] as string | undefined;
  const privateKey =
    (fields['private_key'] as Secret | undefined) ??
    (privateKeyFile !== undefined ? new Secret(readFileSync(privateKeyFile, 'utf8')) : null);
  const clientSecret = (fields['client_secret'] as Secret | undefined) ?? null;
  let clientAuth = fields['client_auth'] as ClientAuthMethod | undefined;
  if (clientAuth === undefined) clientAuth = clientSecret ? defaultAuth : 'none';
  return {
    credential,
    issuer: (fields['issuer'] as URL | undefined) ?? null,
    tokenUrl: (fields['token_url'] as URL | undefined) ?? null,
    authorizationUrl: (fields['authorization_url'] as URL | undefined) ?? null,
    clientId: fields['client_id'] as string,
    clientAuth,
    clientSecret,
    privateKey,
    privateKeyAlg: (fields['private_key_alg'] as string | undefined) ?? null,
    keyId: (fields['key_id'] as string | undefined) ?? null,
    scopes: (fields['scopes'] as string[] | undefined) ?? [],
    audience: (fields['audience'] as string | undefined) ?? null,
    resource: (fields['resource'] as string[] | undefined) ?? [],
    allowInsecureHttp: fields['allow_insecure_http'] === true,
    timeoutMs: (fields['timeout'] as number | undefined) ?? null,
  };
}

export function readRefreshPlan(fields: ParsedFields): RefreshPlan {
  return {
    fraction: (fields['refresh_fraction'] as number | undefined) ?? DEFAULT_REFRESH_FRACTION,
    intervalMs: (fields['refresh_interval'] as number | undefined) ?? null,
  };
}

/** Client authentication combinations, for the "valid combinations" part of configuration errors. */
export const CLIENT_AUTH_COMBINATIONS = [
  'client_secret (+ optional client_auth: client_secret_basic | client_secret_post)',
  'client_auth: private_key_jwt + private_key | private_key_file (+ optional private_key_alg, key_id)',
] as const;
