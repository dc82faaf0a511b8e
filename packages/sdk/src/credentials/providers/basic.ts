import type { ParsedFields } from '../config/fields.js';
import { Secret } from '../secret.js';
import type { ProviderSpec } from './provider.js';
import { staticProvider } from './static-credential.js';

/**
 * `basic`: HTTP Basic (RFC 7617). The token is the base64 `user:password` credential, the header is
 * `Authorization: Basic ...`; the RabbitMQ connector uses username and password directly.
 */
export const basicSpec: ProviderSpec = {
  type: 'basic',
  fields: {
    username: { kind: 'string' },
    password: { kind: 'secret' },
  },
  validCombinations: ['username + password'],
  checkCombination(fields: ParsedFields): string[] {
    const problems: string[] = [];
    if (fields['username'] === undefined) problems.push('missing username');
    else if ((fields['username'] as string).includes(':')) problems.push('username must not contain ":" (RFC 7617)');
    if (fields['password'] === undefined) problems.push('missing password');
    return problems;
  },
  create(name, fields, runtime) {
    const username = fields['username'] as string;
    const password = fields['password'] as Secret;
    const encoded = new Secret(Buffer.from(`${username}:${password.reveal()}`).toString('base64'));
    const provider = staticProvider(
      name,
      'basic',
      runtime,
      encoded,
      { authorization: new Secret(`Basic ${encoded.reveal()}`) },
      [password, encoded],
    );
    return Object.assign(provider, { username, password });
  },
};

/** The username and password of a `basic` credential, for protocols that take them apart (AMQP PLAIN). */
export function basicCredentialParts(provider: object): { username: string; password: Secret } | null {
  const candidate = provider as { username?: unknown; password?: unknown };
  return typeof candidate.username === 'string' && candidate.password instanceof Secret
    ? { username: candidate.username, password: candidate.password }
    : null;
}
