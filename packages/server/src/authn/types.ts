import type { DecisionErrorCode, Principal } from '@warden/sdk';

/** What an entry point knows about the request being decided. Header names are lower-case. */
export interface RequestAttributes {
  method: string;
  host: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** The address of the peer that sent the request (the proxy, for the decision endpoint). */
  peer: string;
}

/** A verification answers with a value; only faults (storage down, bugs) throw. */
export type AuthResult =
  | { ok: true; principal: Principal }
  | { ok: false; code: DecisionErrorCode; message?: string; keyId?: string };

export function denied(code: DecisionErrorCode, message?: string, keyId?: string): AuthResult {
  return { ok: false, code, ...(message ? { message } : {}), ...(keyId ? { keyId } : {}) };
}
