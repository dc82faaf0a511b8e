import { CredentialError } from '../errors.js';

export interface PendingLogin {
  state: string;
  codeVerifier: string | null;
  redirectUri: string;
  expiresAt: number;
}

/**
 * Logins started in server mode and waiting for their callback, keyed by `state`. Each is single use and
 * expires; the map is bounded so a flood of started logins cannot grow memory without limit.
 */
export class PendingLogins {
  readonly #entries = new Map<string, PendingLogin>();
  readonly #credential: string;
  readonly #maxEntries: number;

  constructor(credential: string, maxEntries = 1000) {
    this.#credential = credential;
    this.#maxEntries = maxEntries;
  }

  add(login: PendingLogin, now: number): void {
    this.#sweep(now);
    if (this.#entries.size >= this.#maxEntries) {
      // Drop the oldest: it is the likeliest to be abandoned.
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(login.state, login);
  }

  /** Remove and return the login for this state; unknown, reused and expired states are errors. */
  take(state: string | null, now: number): PendingLogin {
    const login = state ? this.#entries.get(state) : undefined;
    if (!login) {
      throw new CredentialError(
        'login_state_invalid',
        `credential "${this.#credential}": login callback has an unknown or already used state`,
        { credential: this.#credential },
      );
    }
    this.#entries.delete(login.state);
    if (login.expiresAt <= now) {
      throw new CredentialError(
        'login_expired',
        `credential "${this.#credential}": the login expired before its callback arrived`,
        {
          credential: this.#credential,
        },
      );
    }
    return login;
  }

  secretValues(): string[] {
    return [...this.#entries.values()].flatMap((login) => (login.codeVerifier ? [login.codeVerifier] : []));
  }

  get size(): number {
    return this.#entries.size;
  }

  #sweep(now: number): void {
    for (const [state, login] of this.#entries) if (login.expiresAt <= now) this.#entries.delete(state);
  }
}
