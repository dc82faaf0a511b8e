import { CredentialError } from '../errors.js';
import { scrubSecrets } from '../secret.js';

/** Bodies larger than this are not OAuth answers; stop reading rather than buffer an arbitrary page. */
const MAX_BODY_BYTES = 1024 * 1024;

export interface HttpContext {
  credential: string;
  fetch: typeof globalThis.fetch;
  timeoutMs: number;
  /** Secrets to scrub from anything the server echoes back. */
  secrets: () => string[];
}

export interface HttpAnswer {
  status: number;
  contentType: string;
  /** Server's Date header in ms, used to correct for clock skew. */
  serverDate: number | null;
  text: string;
  json: unknown;
}

/** The loopback hosts where plain http is acceptable (RFC 8252 §7.3; local test servers). */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || hostname === '::1' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/** `what` names the endpoint in messages ("token endpoint", "discovery document"). */
export async function exchange(ctx: HttpContext, what: string, url: URL, init: RequestInit): Promise<HttpAnswer> {
  const where = `${url.origin}${url.pathname}`;
  let response: Response;
  try {
    response = await ctx.fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(ctx.timeoutMs) });
  } catch (error) {
    const reason = describeNetworkError(error, ctx.timeoutMs);
    throw new CredentialError(
      'endpoint_unreachable',
      `credential "${ctx.credential}": cannot reach ${what} ${where}: ${reason}`,
      {
        credential: ctx.credential,
        cause: error,
      },
    );
  }
  const text = await readLimited(response);
  const contentType = response.headers.get('content-type') ?? '';
  const dateHeader = response.headers.get('date');
  const serverDate = dateHeader ? Date.parse(dateHeader) : Number.NaN;
  let json: unknown;
  if (text.trim().startsWith('{') || contentType.includes('json')) {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  return { status: response.status, contentType, serverDate: Number.isNaN(serverDate) ? null : serverDate, text, json };
}

/** A one-line description of a body that is not the JSON we wanted, safe to put in an error message. */
export function describeUnexpectedBody(answer: HttpAnswer, secrets: string[]): string {
  const type = answer.contentType.split(';')[0]?.trim() || 'no content type';
  if (/<html|<!doctype html/i.test(answer.text)) {
    const title = /<title[^>]*>([^<]{0,120})<\/title>/i.exec(answer.text)?.[1]?.trim();
    return `an HTML page (${type}${title ? `, title "${scrubSecrets(title, secrets)}"` : ''})`;
  }
  if (answer.text.trim() === '') return `an empty body (${type})`;
  const snippet = scrubSecrets(answer.text.slice(0, 80).replace(/\s+/g, ' ').trim(), secrets);
  return `a body that is not JSON (${type}, starts "${snippet}")`;
}

async function readLimited(response: Response): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > MAX_BODY_BYTES) {
        await reader.cancel();
        break;
      }
      chunks.push(value);
    }
  } catch {
    // A connection cut mid-body leaves a truncated text; the JSON parse that follows reports it.
  }
  return Buffer.concat(chunks).toString('utf8');
}

function describeNetworkError(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return `no answer within ${timeoutMs} ms`;
  }
  // undici puts the system error (ECONNREFUSED, ENOTFOUND...) in `cause`.
  const cause = error instanceof Error ? (error.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  if (cause && typeof cause.code === 'string') return cause.code;
  if (cause && typeof cause.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}
