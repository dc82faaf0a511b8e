import { bearerErrorFor, type DecisionErrorCode } from '@warden/sdk';

export const REALM = 'warden';

function quoted(value: string): string {
  return `"${value.replace(/[\\"]/g, '\\$&').replace(/[^\x20-\x7e]/g, '')}"`;
}

/** The RFC 6750 §3 challenge for a 401 or 403 decision. */
export function wwwAuthenticate(code: DecisionErrorCode, message: string): string {
  const error = bearerErrorFor(code);
  if (error === null) return `Bearer realm=${quoted(REALM)}`;
  return `Bearer realm=${quoted(REALM)}, error=${quoted(error)}, error_description=${quoted(message)}`;
}

export function denyBody(code: DecisionErrorCode | string, message: string): string {
  return JSON.stringify({ error: code, message });
}
