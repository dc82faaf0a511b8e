import type { Secret } from '../secret.js';
import type { CredentialProvider, CredentialType, IssuedCredential, ProviderRuntime } from './provider.js';

/** A credential that never changes (API key, Basic): obtained once, never refreshed. */
export function staticProvider(
  name: string,
  type: CredentialType,
  runtime: ProviderRuntime,
  token: Secret,
  headers: Record<string, Secret>,
  secrets: Secret[],
): CredentialProvider {
  return {
    name,
    type,
    refreshable: false,
    refreshPlan: { fraction: 1, intervalMs: null },
    async obtain(): Promise<IssuedCredential> {
      return { token, headers, expiresAt: null, obtainedAt: new Date(runtime.now()), refreshToken: null, scope: null };
    },
    secretValues: () => secrets.map((secret) => secret.reveal()),
  };
}
