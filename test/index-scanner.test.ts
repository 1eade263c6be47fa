import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ShoalError } from '../engine/errors.js';
import { hashFile } from '../engine/index/hasher.js';
import { IgnoreRules } from '../engine/index/ignore.js';
import { scanFolder, scanPath, type FileHasher, type PreviousStat, type ScanResult } from '../engine/index/scanner.js';
import { randomBytes, removeDir, tempDir } from './index-helpers.js';

let root: string;
let rules: IgnoreRules;
const unicode = 'ünïcödé ファイル.txt'.normalize('NFC');

async function write(rel: string, data: string | Buffer): Promise<void> {
  await fs.mkdir(path.dirname(path.join(root, rel)), { recursive: true });
  await fs.writeFile(path.join(root, rel), data);
}

/** A hasher that counts its calls. */
function counting(): { hasher: FileHasher; calls: string[] } {
  const calls: string[] = [];
  return { calls, hasher: (p, o) => (calls.push(p), hashFile(p, o)) };
}

async function scanAll(previous: Map<string, PreviousStat>, extra: { known?: string[]; hasher?: FileHasher } = {}) {
  const results: ScanResult[] = [];
  const summary = await scanFolder({
    root,
    rules,
    previous: (p) => previous.get(p),
    onResult: (r) => void results.push(r),
    ...extra,
  });
  return { results, summary, byPath: new Map(results.map((r) => [r.entry.path, r])) };
}

function remember(results: ScanResult[]): Map<string, PreviousStat> {
  return new Map(results.map((r) => [r.entry.path, { size: r.entry.size, mtimeMs: r.entry.mtimeMs, ino: r.entry.ino, kind: r.entry.kind }]));
}

before(async () => {
  root = await tempDir();
  await fs.writeFile(path.join(root, '.SyncIgnore'), '*.tmp\nbuild\n');
  rules = await IgnoreRules.load(root);
  await write('a.txt', 'alpha');
  await write('with space.txt', 'space');
  await write(unicode, 'unicode');
  await write('empty.txt', '');
  await write('x/y/z/deep.bin', randomBytes(700_000));
  await fs.mkdir(path.join(root, 'emptydir'));
  await write('junk.tmp', 'ignored');
  await write('build/out.js', 'ignored');
  await write('.SyncArchive/old.txt', 'internal');
  await write('partial.txt.!sync', 'internal');
  await write('back\\slash.txt', 'not a valid wire path');
  await fs.symlink(path.join(root, 'a.txt'), path.join(root, 'link.txt'));
  await fs.symlink(path.join(root, 'x'), path.join(root, 'linkdir'));
});

after(async () => {
  await removeDir(root);
});

test('first scan: every file and folder, ignores and symlinks skipped, folders first', async () => {
  const { hasher, calls } = counting();
  const warnings: string[] = [];
  const results: ScanResult[] = [];
  const summary = await scanFolder({
    root,
    rules,
    previous: () => undefined,
    onResult: (r) => void results.push(r),
    onWarning: (w) => warnings.push(w.path),
    hasher,
  });
  const paths = results.map((r) => r.entry.path).sort();
  assert.deepEqual(paths, ['a.txt', 'empty.txt', 'emptydir', unicode, 'with space.txt', 'x', 'x/y', 'x/y/z', 'x/y/z/deep.bin'].sort());
  assert.deepEqual(warnings, ['back\\slash.txt']);
  assert.equal(summary.seen, 9);
  assert.equal(summary.hashed, 5);
  assert.equal(calls.length, 5);
  assert.ok(results.every((r) => r.status === 'changed'));
  const by = new Map(results.map((r) => [r.entry.path, r]));
  const empty = by.get('empty.txt')!;
  assert.equal(empty.status === 'changed' && empty.chunks.length, 0);
  const deep = by.get('x/y/z/deep.bin')!;
  assert.equal(deep.entry.size, 700_000);
  assert.ok(deep.status === 'changed' && deep.chunks.reduce((n, c) => n + c.size, 0) === 700_000);
  assert.equal(by.get('emptydir')!.entry.kind, 'dir');
  assert.equal(by.get('emptydir')!.entry.size, 0);
  // A folder is reported before anything inside it.
  const order = results.map((r) => r.entry.path);
  for (const p of order) {
    const parent = path.posix.dirname(p);
    if (parent !== '.') assert.ok(order.indexOf(parent) < order.indexOf(p), `${parent} before ${p}`);
  }
});

test('second scan of an unchanged folder hashes nothing', async () => {
  const first = await scanAll(new Map());
  const { hasher, calls } = counting();
  const second = await scanAll(remember(first.results), { hasher });
  assert.equal(calls.length, 0);
  assert.equal(second.summary.hashed, 0);
  assert.equal(second.results.length, first.results.length);
  assert.ok(second.results.every((r) => r.status === 'unchanged'));
});

test('changes and deletions are detected; ignored and internal paths are not deletions', async () => {
  const first = await scanAll(new Map());
  const prev = remember(first.results);
  await write('with space.txt', 'space, edited');
  await fs.rm(path.join(root, 'a.txt'));
  await write('new/inner.txt', 'new');
  const { hasher, calls } = counting();
  const known = [...prev.keys(), 'junk.tmp', 'build/out.js'];
  const second = await scanAll(prev, { hasher, known });
  assert.deepEqual(second.summary.gone, ['a.txt']);
  assert.deepEqual(calls.map((p) => path.relative(root, p)).sort(), ['new/inner.txt', 'with space.txt']);
  const changed = second.results.filter((r) => r.status === 'changed').map((r) => r.entry.path).sort();
  assert.deepEqual(changed, ['new', 'new/inner.txt', 'with space.txt']);
  const edited = second.byPath.get('with space.txt')!;
  assert.equal(edited.entry.size, Buffer.byteLength('space, edited'));
  await write('a.txt', 'alpha');
});

test('a file whose hash fails is not reported gone; one that changed while hashed is unstable', async () => {
  const first = await scanAll(new Map());
  const prev = remember(first.results);
  await write('with space.txt', 'edited again, locked');
  await write(unicode, 'edited again, busy');
  const hasher: FileHasher = async (p, o) => {
    if (p.endsWith('with space.txt')) throw new ShoalError('IO_ERROR', 'locked');
    return { ...(await hashFile(p, o)), changedDuringHash: true };
  };
  const { summary } = await scanAll(prev, { hasher, known: [...prev.keys()] });
  assert.deepEqual(summary.gone, []);
  assert.deepEqual(summary.unstable, [unicode]);
  assert.deepEqual(summary.unsure, ['with space.txt']);
  assert.deepEqual(summary.warnings.filter((w) => w.code === 'IO_ERROR').map((w) => w.path), ['with space.txt']);
});

test('a folder that cannot be read is a warning, not a deletion', { skip: process.getuid?.() === 0 && 'root reads everything' }, async () => {
  await write('locked/secret.txt', 's');
  const first = await scanAll(new Map());
  await fs.chmod(path.join(root, 'locked'), 0o000);
  try {
    const { summary } = await scanAll(remember(first.results), { known: [...remember(first.results).keys()] });
    assert.deepEqual(summary.gone, []);
    assert.deepEqual(summary.warnings.map((w) => w.path), ['locked']);
  } finally {
    await fs.chmod(path.join(root, 'locked'), 0o755);
    await fs.rm(path.join(root, 'locked'), { recursive: true });
  }
});

test('names stored in another Unicode form are reported in NFC and found by scanPath', async () => {
  const nfd = 'café-nfd.txt'.normalize('NFD');
  await write(nfd, 'nfd');
  try {
    const { byPath } = await scanAll(new Map());
    const nfc = nfd.normalize('NFC');
    assert.ok(byPath.has(nfc));
    const r = await scanPath(root, nfc, { rules, previous: () => undefined });
    assert.equal(r.status, 'changed');
  } finally {
    await fs.rm(path.join(root, nfd));
  }
});

test('scanPath: new, unchanged, gone, ignored, symlink and folder', async () => {
  const none = { rules, previous: () => undefined };
  await write('single.txt', 'one');
  const r1 = await scanPath(root, 'single.txt', none);
  assert.equal(r1.status, 'changed');
  assert.ok(r1.status === 'changed' && r1.chunks.length === 1 && r1.entry.size === 3);
  const prev = { size: r1.entry.size, mtimeMs: r1.entry.mtimeMs, ino: r1.entry.ino };
  const r2 = await scanPath(root, 'single.txt', { rules, previous: () => prev, hasher: () => assert.fail('no rehash') });
  assert.equal(r2.status, 'unchanged');
  await fs.rm(path.join(root, 'single.txt'));
  assert.deepEqual(await scanPath(root, 'single.txt', none), { status: 'gone', path: 'single.txt' });
  assert.deepEqual(await scanPath(root, 'junk.tmp', none), { status: 'ignored', path: 'junk.tmp' });
  assert.deepEqual(await scanPath(root, 'build/out.js', none), { status: 'ignored', path: 'build/out.js' });
  assert.equal((await scanPath(root, 'link.txt', none)).status, 'gone');
  assert.equal((await scanPath(root, 'linkdir/y', none)).status, 'gone', 'never through a symlinked folder');
  const dir = await scanPath(root, 'x/y', none);
  assert.ok(dir.status === 'changed' && dir.entry.kind === 'dir' && dir.chunks.length === 0);
  await assert.rejects(scanPath(root, '../etc/passwd', none), (e) => e instanceof ShoalError && e.code === 'BAD_PATH');
});

test('scanning a missing root fails instead of reporting everything gone', async () => {
  await assert.rejects(
    scanFolder({ root: path.join(root, 'no-such-dir'), rules, previous: () => undefined, onResult: () => undefined, known: ['a.txt'] }),
    (e) => e instanceof ShoalError && e.code === 'FOLDER_PATH_MISSING',
  );
});

test('a failing consumer stops the scan', async () => {
  await assert.rejects(
    scanFolder({
      root,
      rules,
      previous: () => undefined,
      onResult: () => {
        throw new Error('disk full');
      },
    }),
    /disk full/,
  );
});
