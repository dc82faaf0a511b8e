/**
 * Bounds on nested input, checked before anything recursive (JSON.stringify, a schema walking a value, a
 * serializer) touches it: a body nested 5,000 levels deep must be a 400, never a stack overflow and a 500
 * (SECURITY.md #51). Both checks are loops with an explicit stack, and stop as soon as a bound is passed.
 */

/**
 * True when JSON text nests arrays and objects deeper than `maxDepth`. One pass over the characters, strings
 * skipped; it does not validate the text (the parser does that next).
 */
export function jsonTextNestsDeeperThan(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (inString) {
      if (char === 0x5c /* \ */) i++;
      else if (char === 0x22 /* " */) inString = false;
    } else if (char === 0x22) {
      inString = true;
    } else if (char === 0x7b /* { */ || char === 0x5b /* [ */) {
      if (++depth > maxDepth) return true;
    } else if (char === 0x7d /* } */ || char === 0x5d /* ] */) {
      depth--;
    }
  }
  return false;
}

export type JsonValueProblem = 'too_deep' | 'too_large' | 'not_json';

/**
 * Checks that a value built in code (programmatic API, YAML config) is plain JSON (null, booleans, finite
 * numbers, strings, arrays, plain objects), nests at most `maxDepth` levels and has at most `maxNodes` values
 * and keys in all. A cycle counts as too deep. Returns null when the value is within bounds.
 */
export function checkJsonValue(
  value: unknown,
  bounds: { maxDepth: number; maxNodes: number },
): JsonValueProblem | null {
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  let nodes = 0;
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop()!;
    if (++nodes > bounds.maxNodes) return 'too_large';
    if (current === null || typeof current === 'string' || typeof current === 'boolean') continue;
    if (typeof current === 'number') {
      if (!Number.isFinite(current)) return 'not_json';
      continue;
    }
    if (typeof current !== 'object') return 'not_json';
    const isArray = Array.isArray(current);
    const prototype = Object.getPrototypeOf(current);
    if (!isArray && prototype !== Object.prototype && prototype !== null) return 'not_json';
    if (depth + 1 > bounds.maxDepth) return 'too_deep';
    const children = isArray ? (current as unknown[]) : Object.values(current);
    if (!isArray) nodes += children.length; // the keys
    if (nodes + children.length > bounds.maxNodes) return 'too_large';
    for (const child of children) stack.push({ value: child, depth: depth + 1 });
  }
  return null;
}
