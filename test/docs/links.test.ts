/**
 * The README and docs/ link to each other, to result files and to decisions: every relative link
 * must point at a file that exists, and every #anchor at a heading of that file (GitHub's slugs).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? markdownFiles(join(dir, e.name)) : e.name.endsWith('.md') ? [join(dir, e.name)] : []));
}

const withoutCode = (text: string): string => text.replace(/```[\s\S]*?```/g, '');

/** GitHub's heading ids: lower case, punctuation dropped, spaces to '-', repeats numbered. */
function headingAnchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const line of withoutCode(markdown).split('\n')) {
    const m = /^#{1,6}\s+(.*)$/.exec(line);
    if (!m) continue;
    const slug = m[1]!.trim().toLowerCase().replace(/[^\p{L}\p{N}_\- ]/gu, '').replace(/ /g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    out.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return out;
}

function brokenLinks(files: string[]): string[] {
  const broken: string[] = [];
  for (const file of files) {
    for (const m of withoutCode(readFileSync(file, 'utf8')).matchAll(/\]\(([^)\s]+)\)/g)) {
      const link = m[1]!;
      if (/^[a-z]+:/i.test(link)) continue;
      const [path = '', fragment] = link.split('#');
      const target = path === '' ? file : resolve(dirname(file), path);
      const where = `${relative(root, file)}: ${link}`;
      if (!existsSync(target)) broken.push(`missing ${where}`);
      else if (fragment !== undefined && (statSync(target).isDirectory() || !headingAnchors(readFileSync(target, 'utf8')).has(fragment))) broken.push(`bad anchor ${where}`);
    }
  }
  return broken;
}

describe('documentation links', () => {
  it('every relative link in README.md and docs/ resolves', () => {
    const files = [join(root, 'README.md'), ...markdownFiles(join(root, 'docs'))];
    assert.ok(files.length > 10);
    assert.deepEqual(brokenLinks(files), []);
  });
  it('the checker catches a missing file and a bad anchor', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'samplify-links-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const page = join(dir, 'page.md');
    writeFileSync(page, '# Title\n## A, b!\n## A, b!\n[ok](#a-b-1) [self](page.md#title) [gone](nope.md) [bad](#nowhere) [web](https://example.org)\n');
    assert.deepEqual(brokenLinks([page]).map((b) => b.split(':')[0]), ['missing ' + relative(root, page), 'bad anchor ' + relative(root, page)]);
  });
});
