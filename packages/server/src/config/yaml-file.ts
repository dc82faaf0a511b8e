import { LineCounter, parse, YAMLError } from 'yaml';
import { ConfigError } from './errors.js';

const indentOf = (line: string) => line.length - line.trimStart().length;
const isBlank = (line: string) => line.trim() === '' || line.trimStart().startsWith('#');

/** A key whose value is a secret (`secrets.pepper`, `secrets.master_key`), or a URL with a password in it. */
const SECRET_LINE = /^\s*(pepper|master_key)\s*:|:\/\/[^/\s]*:[^/\s]*@/;

/**
 * Whether line `index` may hold a secret, so that an error must not quote it: a secret key, a database URL with a
 * password, or anything inside `static:` (whose map keys are API keys), found by walking up the indentation.
 */
function mayHoldSecret(lines: readonly string[], index: number): boolean {
  if (SECRET_LINE.test(lines[index]!) || /\bstatic\s*:/.test(lines[index]!)) return true;
  let indent = indentOf(lines[index]!);
  for (let i = index - 1; i >= 0 && indent > 0; i--) {
    const line = lines[i]!;
    if (isBlank(line) || indentOf(line) >= indent) continue;
    if (/^\s*static\s*:/.test(line)) return true;
    indent = indentOf(line);
  }
  return false;
}

/**
 * The lines around a syntax error with a caret under its column, as compilers print them; the line before is
 * shown too when the error is on a blank one (an unclosed bracket is found at the end of the file). Nothing is
 * shown when a line may hold a secret: no secret appears in an error message (SECURITY.md).
 */
function codeFrame(text: string, line: number, column: number): string | null {
  const lines = text.split(/\r?\n/);
  const index = Math.min(line, lines.length) - 1;
  const first = isBlank(lines[index] ?? '') && index > 0 ? index - 1 : index;
  const shown = lines.slice(first, index + 1).map((_, offset) => first + offset);
  if (shown.some((i) => mayHoldSecret(lines, i))) return null;
  const width = String(index + 1).length;
  const numbered = shown.map((i) => `  ${String(i + 1).padStart(width)} | ${lines[i]}`.trimEnd());
  // Tabs are kept in the caret's indentation so that it lands under the column whatever the tab width.
  const before = [...(lines[index] ?? '').slice(0, column - 1)].map((char) => (char === '\t' ? '\t' : ' ')).join('');
  return [...numbered, `  ${' '.repeat(width)} | ${before}^`].join('\n');
}

/** Parses the YAML text of `file`; a syntax error names the file, line and column and shows where it is. */
export function parseYamlFile(file: string, text: string): unknown {
  const lineCounter = new LineCounter();
  try {
    return parse(text, { lineCounter, prettyErrors: false });
  } catch (error) {
    if (!(error instanceof YAMLError)) throw error;
    const { line, col } = lineCounter.linePos(error.pos[0]);
    const problem = `line ${line}, column ${col}: ${error.message}`;
    const frame = codeFrame(text, line, col);
    throw new ConfigError(`config file ${file} is not valid YAML: ${problem}${frame ? `\n${frame}` : ''}`, [problem]);
  }
}
