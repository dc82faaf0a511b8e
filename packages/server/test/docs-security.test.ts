import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/cli.js';

const SECURITY_DOC = readFileSync(join(REPO_ROOT, 'docs/security.md'), 'utf8');

/**
 * Every `file.test.ts`: "test name", "other name" that docs/security.md cites, with the path resolved from
 * packages/server/test unless it starts with packages/. Markdown escapes `|` inside tables as `\|`, and a name
 * may wrap across lines.
 */
function citedTests(): { file: string; name: string }[] {
  const cited: { file: string; name: string }[] = [];
  for (const [, file, names] of SECURITY_DOC.matchAll(
    /`([\w./-]+\.test\.ts)`[^:`|]*:\s*(?:the suites? )?((?:"[^"]+"(?:,\s*(?:and\s*)?)?)+)/g,
  )) {
    const path = file!.startsWith('packages/')
      ? join(REPO_ROOT, file!)
      : join(REPO_ROOT, 'packages/server/test', file!);
    for (const [, name] of names!.matchAll(/"([^"]+)"/g))
      cited.push({ file: path, name: name!.replaceAll('\\|', '|').replace(/\s+/g, ' ') });
  }
  return cited;
}

describe('docs/security.md', () => {
  it('every test it cites exists under that name in that file', () => {
    const cited = citedTests();
    expect(cited.length).toBeGreaterThan(30);
    for (const { file, name } of cited) {
      expect(existsSync(file), file).toBe(true);
      // A suite run per dialect is cited as "... on …": the text before the placeholder is in the file.
      const literal = name.split(' …')[0]!;
      expect(readFileSync(file, 'utf8'), `${file}: ${name}`).toContain(literal);
    }
  });

  it('every case a test or suite is named after (SECURITY.md #N) is listed with that test file', () => {
    for (const dir of ['packages/server/test', 'packages/sdk/test']) {
      for (const file of readdirSync(join(REPO_ROOT, dir)).filter((name) => name.endsWith('.test.ts'))) {
        const text = readFileSync(join(REPO_ROOT, dir, file), 'utf8');
        for (const [, number] of text.matchAll(/\(\s*['"`]SECURITY\.md #(\d+)/g)) {
          const row = SECURITY_DOC.split('\n').find((line) => line.startsWith(`| ${number} `));
          expect(row, `#${number} (${file})`).toBeDefined();
          expect(row, `#${number} cites ${file}`).toContain(file);
        }
      }
    }
  });
});
