/** JWKS and discovery documents are small; a larger answer is not one, and is not buffered. */
const MAX_DOCUMENT_BYTES = 256 * 1024;

/** The loopback hosts where plain http is acceptable (local test servers, sidecars). */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/** Why a URL may not be fetched (plain http to a remote host without the opt-in), or null. */
export function insecureUrlProblem(url: URL, allowInsecureHttp: boolean): string | null {
  if (url.protocol === 'https:') return null;
  if (url.protocol !== 'http:') return `${url.href} must be an https URL`;
  if (allowInsecureHttp || isLoopbackHost(url.hostname)) return null;
  return `${url.href} must be https (plain http only to a loopback host, or with allowInsecureHttp)`;
}

/**
 * GETs a JSON object within `timeoutMs`: no redirects (a JWKS must come from where it was configured or
 * discovered), a bounded body, and an Error with a one-line reason (URL and cause, never a body) otherwise.
 */
export async function fetchJsonObject(
  fetchImpl: typeof globalThis.fetch,
  url: URL,
  timeoutMs: number,
): Promise<Record<string, unknown>> {
  const where = `${url.origin}${url.pathname}`;
  let response: Response;
  try {
    response = await fetchImpl(url, {
      headers: { accept: 'application/json' },
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
    throw new Error(`${where}: ${timedOut ? `no answer within ${timeoutMs} ms` : networkReason(error)}`, {
      cause: error,
    });
  }
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => {});
    throw new Error(`${where} answered HTTP ${response.status}`);
  }
  const text = await readLimited(response, timeoutMs);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${where} answered something that is not JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`${where} answered JSON that is not an object`);
  }
  return parsed as Record<string, unknown>;
}

async function readLimited(response: Response, timeoutMs: number): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  // The headers arrived in time, but a body that trickles forever must not hold the single flight either.
  const deadline = setTimeout(() => void reader.cancel().catch(() => {}), timeoutMs);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > MAX_DOCUMENT_BYTES) {
        await reader.cancel().catch(() => {});
        throw new Error(`${response.url || 'the document'} is larger than ${MAX_DOCUMENT_BYTES} bytes`);
      }
      chunks.push(value);
    }
  } finally {
    clearTimeout(deadline);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function networkReason(error: unknown): string {
  // undici puts the system error (ECONNREFUSED, ENOTFOUND...) in `cause`.
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  if (cause && typeof cause.code === 'string') return cause.code;
  return error instanceof Error ? error.message : String(error);
}
