import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/cli.js';

/** The README and every page under docs/: what a reader of a clone has. */
function pages(): string[] {
  const found = [join(REPO_ROOT, 'README.md')];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.md')) found.push(path);
    }
  };
  walk(join(REPO_ROOT, 'docs'));
  return found;
}

/** The targets of the page's Markdown links that are not URLs or anchors, without their `#fragment`. */
function relativeLinks(text: string): string[] {
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((match) => match[1]!)
    .filter((target) => !/^([a-z][a-z0-9+.-]*:|#)/i.test(target))
    .map((target) => target.split('#')[0]!);
}

describe('links in the README and docs/', () => {
  it('every relative link names a file of the repository: none leads out of a clone (../shared)', () => {
    const all = pages();
    expect(all.map((page) => relative(REPO_ROOT, page))).toEqual(
      expect.arrayContaining(['README.md', 'docs/architecture.md', 'docs/security.md', 'docs/programmatic.md']),
    );
    let checked = 0;
    for (const page of all) {
      const text = readFileSync(page, 'utf8');
      expect(text, `${relative(REPO_ROOT, page)} names ../shared`).not.toMatch(/\.\.\/shared\b/);
      for (const target of relativeLinks(text)) {
        const path = resolve(dirname(page), target);
        const where = `${relative(REPO_ROOT, page)} -> ${target}`;
        expect(relative(REPO_ROOT, path).startsWith('..'), `${where} leaves the repository`).toBe(false);
        expect(existsSync(path), `${where} does not exist`).toBe(true);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(10);
  });

  it('the README links the architecture page and the security cases', () => {
    const links = relativeLinks(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8'));
    expect(links).toContain('docs/architecture.md');
    expect(links).toContain('docs/security.md');
  });
});
