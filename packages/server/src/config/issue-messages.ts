import type { z } from 'zod';

/** What a value is, in words; strings are never quoted, since a string in the configuration may be a secret. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'string':
      return 'a string';
    case 'number':
    case 'boolean':
      return String(value);
    case 'object':
      return 'a mapping';
    default:
      return typeof value;
  }
}

const EXPECTED: Record<string, string> = {
  number: 'a number',
  int: 'a whole number',
  string: 'a string',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
};

function bound(issue: { origin: string; inclusive?: boolean }, limit: number | bigint, most: boolean): string | null {
  const inclusive = issue.inclusive !== false;
  const comparison = most ? (inclusive ? 'at most' : 'less than') : inclusive ? 'at least' : 'more than';
  switch (issue.origin) {
    case 'number':
    case 'int':
      return `must be ${comparison} ${limit}`;
    case 'string':
      return !most && inclusive && limit === 1 ? 'must not be empty' : `must be ${comparison} ${limit} characters`;
    case 'array':
      return `must have ${comparison} ${limit} entries`;
    default:
      return null;
  }
}

/**
 * zod's generic messages ("Too big: expected number to be <=65535") in the words of the configuration's own rules
 * ("must be at most 65535"), for `parse(..., { error })`. Rules with a message of their own keep it; an issue not
 * covered here keeps zod's message (undefined).
 */
export function configIssueMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type': {
      if (issue.input === undefined) return 'is required';
      const expected = EXPECTED[issue.expected] ?? issue.expected;
      return `must be ${expected}, got ${describe(issue.input)}`;
    }
    case 'invalid_union': {
      // number-or-string fields (durations, whole numbers) given something else: every branch is a type mismatch.
      const expected = issue.errors.flatMap((branch) =>
        branch.length === 1 && branch[0]!.code === 'invalid_type' ? [EXPECTED[branch[0]!.expected] ?? ''] : [],
      );
      if (expected.length !== issue.errors.length || expected.includes('')) return undefined;
      return `must be ${expected.join(' or ')}, got ${describe(issue.input)}`;
    }
    case 'too_big':
      return bound(issue, issue.maximum, true) ?? undefined;
    case 'too_small':
      return bound(issue, issue.minimum, false) ?? undefined;
    case 'invalid_value':
      return `must be one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`;
    default:
      return undefined;
  }
}
