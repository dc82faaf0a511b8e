import type { z } from 'zod';
import { WardenError } from '../errors/warden-error.js';

/** `expiresIn` -> `--expires-in`: commander names an option's value after its flag this way, so back is safe. */
const flagOfField = (field: string) => `--${field.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;

/** What is wrong, in words that fit after a flag; zod's own text where it already reads that way. */
function describeProblem(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_union':
      // The first alternative is the one people mean (`--overlap`: a duration, or `0`).
      return issue.errors[0]?.[0]?.message ?? issue.message;
    case 'invalid_type':
      return issue.expected === 'number' || issue.expected === 'int' ? 'must be a whole number' : issue.message;
    case 'too_small':
      return issue.origin === 'number' ? `must be at least ${issue.minimum}` : issue.message;
    case 'too_big':
      return issue.origin === 'number' ? `must be at most ${issue.maximum}` : issue.message;
    default:
      return issue.message;
  }
}

/**
 * Validates a command's input with the schema its service applies (keys/inputs.ts) before the store is opened,
 * naming each problem by the flag the user typed, not by the field behind it: `--expires-in: must be a positive
 * duration...`. `flags` gives the flag of a field whose name is not the flag's (`roles` comes from `--role`).
 * A problem with one value of a repeated flag says which one by position: values are never echoed (a mistyped
 * value may be a pasted secret).
 */
export function parseFlagInput<T extends z.ZodType>(
  schema: T,
  input: Record<string, unknown>,
  flags: Record<string, string> = {},
): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const [field, index] = issue.path;
    if (field === undefined) return describeProblem(issue);
    const values = input[String(field)];
    const which =
      typeof index === 'number' && Array.isArray(values) && values.length > 1
        ? `value ${index + 1} of ${values.length} `
        : '';
    return `${flags[String(field)] ?? flagOfField(String(field))}: ${which}${describeProblem(issue)}`;
  });
  throw new WardenError('invalid_request', problems.join('; '));
}
