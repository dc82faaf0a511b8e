/** What every secret prints as, wherever it ends up. */
export const REDACTED = '[redacted]';

const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');

/**
 * A secret value (key, password, token, client secret, private key) held in memory only.
 *
 * It prints as `[redacted]` through `toString`, template literals, `util.inspect`/`console.log` and
 * `JSON.stringify`, so a secret that reaches a log line, an error or an event payload by accident stays hidden.
 * The value itself is kept in a private field and is read only through {@link Secret.reveal}.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    if (typeof value !== 'string') throw new TypeError('Secret value must be a string');
    this.#value = value;
  }

  /** The plain value. Call it only where the secret leaves the process on purpose (a header, a form field). */
  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspectSymbol](): string {
    return `Secret(${REDACTED})`;
  }
}

/**
 * Replace every occurrence of the given secret values in a text; used on anything a remote server sends back
 * (error descriptions, HTML pages) before it becomes part of an error message.
 */
export function scrubSecrets(text: string, secrets: Iterable<string>): string {
  let scrubbed = text;
  for (const secret of secrets) {
    // Very short values would shred ordinary words; secrets this short are rejected at validation anyway.
    if (secret.length < 4) continue;
    scrubbed = scrubbed.split(secret).join(REDACTED);
  }
  return scrubbed;
}
