import { timingSafeEqual } from 'node:crypto';

/**
 * The one place secrets are compared. Both sides are compared over their full length; inputs of different
 * lengths are compared against themselves so the time taken does not reveal where they differ.
 */
export function constantTimeEqual(a: Uint8Array | string, b: Uint8Array | string): boolean {
  const left = typeof a === 'string' ? Buffer.from(a, 'utf8') : a;
  const right = typeof b === 'string' ? Buffer.from(b, 'utf8') : b;
  if (left.length !== right.length) {
    timingSafeEqual(left, left);
    return false;
  }
  return timingSafeEqual(left, right);
}
