import type { FieldSpecs, ParsedFields } from '../config/fields.js';
import type { Secret } from '../secret.js';

/** The credential types a configuration may declare. */
export const CREDENTIAL_TYPES = [
  'api_key',
  'basic',
  'oauth2_client_credentials',
  'oauth2_password',
  'oauth2_auth_code',
  'oauth2_tokens',
] as const;
export type CredentialType = (typeof CREDENTIAL_TYPES)[number];

/** What a provider hands out: the token (or key) and the headers that carry it. */
export interface IssuedCredential {
  /** The access token, API key, or Basic credential; what `warden token get` prints. */
  readonly token: Secret;
  /** Header name to value, ready to send. */
  readonly headers: Readonly<Record<string, Secret>>;
  /** When the token stops working, in local clock time; null when the server did not say and it is not a JWT. */
  readonly expiresAt: Date | null;
  /** Local time the credential was obtained; the start of its lifetime for refresh planning. */
  readonly obtainedAt: Date;
  /** Refresh token, when the server issued one. */
  readonly refreshToken: Secret | null;
  /** Scope the server granted, when it said. */
  readonly scope: string | null;
}

/** Why the manager asks a provider for a credential; providers may log it, none decide on it. */
export type ObtainReason = 'initial' | 'scheduled' | 'forced' | 'expired';

/** A one-time password callback: return the current code, or undefined to give up (`otp_required`). */
export type OtpCallback = (request: {
  credential: string;
  attempt: number;
}) => string | undefined | Promise<string | undefined>;

/** How the manager and providers reach the outside world; injected so tests and hosts can replace it. */
export interface ProviderRuntime {
  fetch: typeof globalThis.fetch;
  now: () => number;
  /** Default timeout of one HTTP exchange, in ms. */
  timeoutMs: number;
  /** One-time password callbacks by credential name, and a fallback for all. */
  otp: (credential: string) => OtpCallback | undefined;
  /** Called with the authorization URL of an interactive login (loopback mode). */
  onAuthorizationUrl: (url: string, credential: string) => void | Promise<void>;
  /** Whether an auth-code credential in loopback mode may start a login by itself when a token is needed. */
  interactive: boolean;
  /** Opens a browser when the credential asks for it; replaceable for tests and headless hosts. */
  openBrowser: (url: string) => Promise<void>;
}

/** Refresh planning: refresh at a fraction of the lifetime, or at a fixed interval. */
export interface RefreshPlan {
  fraction: number;
  intervalMs: number | null;
}

/** A named source of one credential. */
export interface CredentialProvider {
  readonly name: string;
  readonly type: CredentialType;
  /** False for static credentials (API keys, Basic): there is nothing to refresh. */
  readonly refreshable: boolean;
  readonly refreshPlan: RefreshPlan;
  /** Obtain a new credential; `previous` is the current one, whose refresh token may be used. */
  obtain(previous: IssuedCredential | null, reason: ObtainReason): Promise<IssuedCredential>;
  /** Plain values of every secret this provider holds, to scrub them from text a server echoes back. */
  secretValues(): string[];
}

/** The static description of a credential type: its fields, its valid combinations, and its factory. */
export interface ProviderSpec {
  readonly type: CredentialType;
  readonly fields: FieldSpecs;
  /** Human-readable valid field combinations, shown with every configuration error of this type. */
  readonly validCombinations: readonly string[];
  /** Problems with the combination of fields present (missing, conflicting, extra). */
  checkCombination(fields: ParsedFields): string[];
  create(name: string, fields: ParsedFields, runtime: ProviderRuntime): CredentialProvider;
}
