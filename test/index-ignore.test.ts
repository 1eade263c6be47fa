import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { IgnoreRules } from '../engine/index/ignore.js';
import { removeDir, tempDir } from './index-helpers.js';

const opts = { caseInsensitive: false };

test('name patterns match at any depth, and everything below a matched folder', () => {
  const r = IgnoreRules.parse('*.tmp\r\nbuild\r\n\r\na?c.txt\n', opts);
  assert.equal(r.matches('x.tmp', false), true);
  assert.equal(r.matches('deep/er/x.tmp', false), true);
  assert.equal(r.matches('x.tmp.keep', false), false);
  assert.equal(r.matches('build', true), true);
  assert.equal(r.matches('build/out/main.js', false), true);
  assert.equal(r.matches('src/build/main.js', false), true);
  assert.equal(r.matches('build.txt', false), false);
  assert.equal(r.matches('abc.txt', false), true);
  assert.equal(r.matches('sub/aXc.txt', false), true);
  assert.equal(r.matches('ac.txt', false), false);
  assert.equal(r.matches('abbc.txt', false), false);
  assert.equal(r.matches('src/main.ts', false), false);
  assert.deepEqual(r.patterns, ['*.tmp', 'build', 'a?c.txt']);
});

test('patterns with a slash match from the folder root', () => {
  const r = IgnoreRules.parse('docs/*.pdf\n/top.txt\na/b/c\n', opts);
  assert.equal(r.matches('docs/manual.pdf', false), true);
  assert.equal(r.matches('docs/sub/manual.pdf', false), false); // * stays within one name
  assert.equal(r.matches('other/docs/manual.pdf', false), false);
  assert.equal(r.matches('docs/manual.txt', false), false);
  assert.equal(r.matches('top.txt', false), true);
  assert.equal(r.matches('sub/top.txt', false), false);
  assert.equal(r.matches('a/b/c', true), true);
  assert.equal(r.matches('a/b/c/d/e.txt', false), true);
  assert.equal(r.matches('a/b', true), false);
  assert.equal(r.matches('x/a/b/c', true), false);
});

test('a trailing slash limits a pattern to folders', () => {
  const r = IgnoreRules.parse('cache/\n', opts);
  assert.equal(r.matches('cache', true), true);
  assert.equal(r.matches('x/cache/y.bin', false), true);
  assert.equal(r.matches('cache', false), false);
});

test('comments, blank lines, BOM and spaces are tolerated; regex characters are literal', () => {
  const r = IgnoreRules.parse('\uFEFF# a comment\n   \n  notes (1).txt  \n[x]+.md\n', opts);
  assert.equal(r.matches('# a comment', false), false);
  assert.equal(r.matches('notes (1).txt', false), true);
  assert.equal(r.matches('[x]+.md', false), true);
  assert.equal(r.matches('x.md', false), false);
  assert.equal(r.matches('notesX(1).txt', false), false);
});

test('internal paths, the ignore file and the BTSync defaults are always ignored', () => {
  const r = IgnoreRules.parse('', opts);
  for (const p of ['.SyncArchive', '.SyncArchive/a.txt', '.sync/ID', 'a/b.txt.!sync', '.SyncIgnore', 'x/.DS_Store', 'Thumbs.db', 'sub/desktop.ini', '.SyncID']) {
    assert.equal(r.matches(p, false), true, p);
  }
  assert.equal(r.matches('sub/.SyncIgnore', false), false, 'only the root one is per-device');
  assert.equal(r.matches('readme.txt', false), false);
  const bare = IgnoreRules.parse('', { ...opts, defaults: false });
  assert.equal(bare.matches('Thumbs.db', false), false);
  assert.equal(bare.matches('.SyncArchive/x', false), true);
});

test('sameAs tells whether a reload changed anything', () => {
  assert.equal(IgnoreRules.parse('*.tmp\n# note\n', opts).sameAs(IgnoreRules.parse('\n*.tmp\r\n', opts)), true);
  assert.equal(IgnoreRules.parse('*.tmp', opts).sameAs(IgnoreRules.parse('*.log', opts)), false);
  assert.equal(IgnoreRules.parse('', opts).sameAs(IgnoreRules.parse('', { ...opts, defaults: false })), false);
});

test('case sensitivity follows the option', () => {
  assert.equal(IgnoreRules.parse('*.TMP', { caseInsensitive: true }).matches('a.tmp', false), true);
  assert.equal(IgnoreRules.parse('*.TMP', { caseInsensitive: false }).matches('a.tmp', false), false);
});

test('load reads .SyncIgnore from the folder root; missing file means built-ins only', async () => {
  const dir = await tempDir();
  try {
    assert.equal((await IgnoreRules.load(dir, opts)).matches('x.tmp', false), false);
    await fs.writeFile(path.join(dir, '.SyncIgnore'), '*.tmp\nnode_modules\n');
    const r = await IgnoreRules.load(dir, opts);
    assert.equal(r.matches('x.tmp', false), true);
    assert.equal(r.matches('pkg/node_modules/a/index.js', false), true);
  } finally {
    await removeDir(dir);
  }
});
