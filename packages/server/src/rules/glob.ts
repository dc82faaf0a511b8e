/**
 * Globs for hosts and paths. `*` matches within one part (a host label between dots, a path segment between
 * slashes), `**` matches across parts (any characters, including none); everything else is literal. Hosts match
 * case-insensitively (the pattern and the host are both lower-cased); paths exactly.
 */
export interface GlobSyntax {
  /** The character a single `*` never crosses: `.` for hosts, `/` for paths. */
  separator: '.' | '/';
}

/** One element of a compiled glob: a literal character, `*` (within a part) or `**` (anything). */
type GlobToken = { literal: string } | { star: 'one' | 'any' };

export const HOST_GLOB: GlobSyntax = { separator: '.' };
export const PATH_GLOB: GlobSyntax = { separator: '/' };

function tokens(pattern: string): GlobToken[] {
  const result: GlobToken[] = [];
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i] !== '*') {
      result.push({ literal: pattern[i]! });
    } else if (pattern[i + 1] === '*') {
      result.push({ star: 'any' });
      i++;
    } else {
      result.push({ star: 'one' });
    }
  }
  return result;
}

/** How many stars (`*` or `**`) a glob has: the captures it offers. */
export function starCount(pattern: string): number {
  return tokens(pattern).filter((token) => 'star' in token).length;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The glob as an anchored regular expression, each star a capture group (numbered from 1, left to right). */
export function globToRegExp(pattern: string, syntax: GlobSyntax): RegExp {
  const notSeparator = `[^${escapeRegExp(syntax.separator)}]*`;
  const source = tokens(pattern)
    // Each star is a group, so a rule can read what it matched (`{host.1}`: the first star of a host glob).
    .map((token) =>
      'literal' in token ? escapeRegExp(token.literal) : token.star === 'any' ? '(.*)' : `(${notSeparator})`,
    )
    .join('');
  return new RegExp(`^${source}$`, 's');
}

/**
 * Whether some string matches both globs: the product of their automata reaches both ends. Used at load time to
 * find two rules that could match one request without a priority between them. Each state is a position in
 * each pattern; a star may consume a character the other side consumes, or be skipped.
 */
export function globsCanOverlap(a: string, b: string, syntax: GlobSyntax): boolean {
  const left = tokens(a);
  const right = tokens(b);
  const seen = new Set<number>();
  const width = right.length + 1;
  const stack: [number, number][] = [[0, 0]];
  // A star of kind `one` can consume any character but the separator; `any` consumes every character.
  const starTakes = (star: 'one' | 'any', char: string) => star === 'any' || char !== syntax.separator;
  while (stack.length > 0) {
    const [i, j] = stack.pop()!;
    const key = i * width + j;
    if (seen.has(key)) continue;
    seen.add(key);
    if (i === left.length && j === right.length) return true;
    const l = left[i];
    const r = right[j];
    // Skipping a star consumes nothing.
    if (l !== undefined && 'star' in l) stack.push([i + 1, j]);
    if (r !== undefined && 'star' in r) stack.push([i, j + 1]);
    if (l === undefined || r === undefined) continue;
    if ('literal' in l && 'literal' in r) {
      if (l.literal === r.literal) stack.push([i + 1, j + 1]);
    } else if ('literal' in l && 'star' in r) {
      if (starTakes(r.star, l.literal)) stack.push([i + 1, j]);
    } else if ('star' in l && 'literal' in r) {
      if (starTakes(l.star, r.literal)) stack.push([i, j + 1]);
    }
    // Two stars consuming the same character stay where they are: nothing new is reachable that way.
  }
  return false;
}
