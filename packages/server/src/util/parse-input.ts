import type { z } from 'zod';
import { WardenError } from '../errors/warden-error.js';

/**
 * Validates what a caller passed with its schema, or throws `invalid_request` naming each problem. `argument`
 * names the argument in the message when it is not a request body (whose fields are named on their own):
 * `id: Invalid input: expected string, received number`. Messages name the rule broken and never quote the
 * value: a misplaced argument may be a secret.
 */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown, argument?: string): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const where = [...(argument === undefined ? [] : [argument]), ...issue.path].join('.');
    const problem = issue.code === 'unrecognized_keys' ? `unknown field(s): ${issue.keys.join(', ')}` : issue.message;
    return where ? `${where}: ${problem}` : problem;
  });
  throw new WardenError('invalid_request', problems.join('; '));
}
