import { parsePublicKey } from '../public-key.js';

/** The remote registry did not answer usefully: a fault, so the decision fails closed (503), never allows. */
export class PinRegistryUnavailableError extends Error {
  override name = 'PinRegistryUnavailableError';
}

/** Longest registry answer read: a public key in JSON is a few hundred bytes. */
const MAX_ANSWER_BYTES = 65_536;

/**
 * A pin registry over HTTP: `GET {endpoint}/{subject}` (the subject percent-encoded) answers 200 with
 * `{"public_key": "<PEM or base64 of the SPKI DER>"}`, or 404 when no key is registered for the subject. Anything
 * else (another status, a body that is not such JSON, no answer within the timeout, a refused connection) is a
 * {@link PinRegistryUnavailableError}.
 */
export class RemotePinRegistry {
  constructor(
    private readonly endpoint: string,
    private readonly timeoutMs: number,
  ) {}

  urlOf(subject: string): string {
    return `${this.endpoint.replace(/\/+$/, '')}/${encodeURIComponent(subject)}`;
  }

  /** The SPKI DER registered for `subject`, or null when none is (404). */
  async fetch(subject: string): Promise<Buffer | null> {
    let response: Response;
    try {
      response = await fetch(this.urlOf(subject), {
        headers: { accept: 'application/json' },
        redirect: 'error',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new PinRegistryUnavailableError(`the pin registry did not answer (${(error as Error).name})`, {
        cause: error,
      });
    }
    if (response.status === 404) {
      await response.body?.cancel();
      return null;
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new PinRegistryUnavailableError(`the pin registry answered ${response.status}`);
    }
    if (Number(response.headers.get('content-length') ?? 0) > MAX_ANSWER_BYTES) {
      await response.body?.cancel();
      throw new PinRegistryUnavailableError('the pin registry answer is too large');
    }
    let body: unknown;
    try {
      const text = await response.text();
      if (text.length > MAX_ANSWER_BYTES) throw new Error('too large');
      body = JSON.parse(text);
    } catch (error) {
      throw new PinRegistryUnavailableError('the pin registry answered with something that is not JSON', {
        cause: error,
      });
    }
    const publicKey = (body as { public_key?: unknown } | null)?.public_key;
    const parsed = typeof publicKey === 'string' ? parsePublicKey(publicKey) : null;
    if (parsed === null) {
      throw new PinRegistryUnavailableError('the pin registry answer holds no usable public_key');
    }
    return parsed.spki;
  }
}
