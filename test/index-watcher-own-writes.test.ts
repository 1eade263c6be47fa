import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { DirectoryWatcher } from '../engine/index/directory-watcher.js';
import { GRACE_MS } from '../engine/index/own-renames.js';
import { IgnoreRules } from '../engine/index/ignore.js';
import { FolderWatcher } from '../engine/index/watcher.js';
import { removeDir, tempDir, waitFor } from './index-helpers.js';

/**
 * The watcher and this device's own writes: a download renamed into place where no file was
 * is not reported back (FolderWatcher.expectOwnRename), and events that cannot change a
 * folder's subfolders do not make chokidar re-read it (DirectoryWatcher).
 */

async function watching() {
  const base = await tempDir();
  const root = path.join(base, 'folder');
  await fs.mkdir(path.join(root, 'sub'), { recursive: true });
  const w = new FolderWatcher({ root, rules: IgnoreRules.parse(''), debounceMs: 20 });
  const seen: string[] = [];
  w.on('change', (p) => seen.push(p));
  await w.start();
  let marks = 0;
  return {
    root,
    w,
    seen,
    /** Events in one folder arrive in order: once a new marker file there is seen, everything before it was handled. */
    async settle(dir = '') {
      const name = `mark${marks++}.txt`;
      await fs.writeFile(path.join(root, dir, name), 'm');
      const rel = dir ? `${dir}/${name}` : name;
      await waitFor(() => seen.includes(rel), 2000, rel);
    },
    /** What an editor (or anyone but us) does: write a temp file, then rename it onto `rel`. */
    async saveAsSomeoneElse(rel: string) {
      const target = path.join(root, ...rel.split('/'));
      await fs.writeFile(target + '.tmp', 'theirs');
      await fs.rename(target + '.tmp', target);
    },
    /** What the engine does: write `<name>.!sync`, then rename it onto the name. */
    async landAsDownload(rel: string, content: string) {
      const target = path.join(root, ...rel.split('/'));
      await fs.writeFile(target + '.!sync', content);
      await fs.rename(target + '.!sync', target);
    },
    done: async () => {
      await w.close();
      await removeDir(base);
    },
  };
}

/** Run `body` with a fresh watcher, closed and removed afterwards whatever happens. */
async function withWatcher(body: (t: Awaited<ReturnType<typeof watching>>) => Promise<void>): Promise<void> {
  const t = await watching();
  try {
    await body(t);
  } finally {
    await t.done();
  }
}

test('a download renamed into place where no file was is not reported back', () =>
  withWatcher(async (t) => {
    const landed = t.w.expectOwnRename('sub/new.txt');
    await t.landAsDownload('sub/new.txt', 'from a peer');
    landed(true);
    await t.settle('sub');
    assert.ok(!t.seen.includes('sub/new.txt'), `our own rename was reported: ${t.seen}`);
    assert.ok(!t.seen.some((p) => p.endsWith('.!sync')));
  }));

test('after our own rename, an edit of the file and someone else renaming onto it are still reported', () =>
  withWatcher(async (t) => {
    const a = t.w.expectOwnRename('a.txt');
    await t.landAsDownload('a.txt', 'ours');
    a(true);
    await fs.appendFile(path.join(t.root, 'a.txt'), ' and an edit');
    await waitFor(() => t.seen.includes('a.txt'), 2000, 'the edit after our rename');

    const b = t.w.expectOwnRename('b.txt');
    await t.landAsDownload('b.txt', 'ours');
    await t.saveAsSomeoneElse('b.txt');
    b(true);
    await waitFor(() => t.seen.includes('b.txt'), 2000, 'the second rename onto the file');
  }));

test('a write that did not land reports its path, in case the event it skipped was someone else\'s', () =>
  withWatcher(async (t) => {
    const failed = t.w.expectOwnRename('c.txt');
    // Someone creates the file while our write is on its way: that event is skipped...
    await t.saveAsSomeoneElse('c.txt');
    await t.settle();
    // ...and our write finds it and gives up: now the path is reported.
    failed(false);
    await waitFor(() => t.seen.includes('c.txt'), 2000, 'the path of the write that failed');
  }));

test('an expectation whose event never came does not hide a later rename there for long', () =>
  withWatcher(async (t) => {
    // As if our rename's event had been lost: the expectation stays, bounded in time.
    const lost = t.w.expectOwnRename('late.txt');
    lost(true);
    await new Promise((r) => setTimeout(r, GRACE_MS + 300));
    await t.saveAsSomeoneElse('late.txt');
    await waitFor(() => t.seen.includes('late.txt'), 2000, 'a rename after the grace time');
  }));

test('only an entry appearing or going makes chokidar re-read a folder; content and attribute changes do not', async () => {
  const base = await tempDir();
  const root = path.join(base, 'folder');
  await fs.mkdir(root);
  for (let i = 0; i < 10; i++) await fs.writeFile(path.join(root, `f${i}.txt`), 'x');
  let reads = 0;
  const raw: string[] = [];
  class CountingWatcher extends DirectoryWatcher {
    override _readdirp(...args: Parameters<DirectoryWatcher['_readdirp']>): ReturnType<DirectoryWatcher['_readdirp']> {
      reads++;
      return super._readdirp(...args);
    }
  }
  const fsw = new CountingWatcher({
    ignoreInitial: true,
    ignored: (p: string, stats?: { isDirectory(): boolean }) => !!stats && !stats.isDirectory() && p !== root,
    onRaw: (event, name) => {
      raw.push(`${event} ${name}`);
      return event === 'rename';
    },
  });
  const addDirs: string[] = [];
  fsw.on('addDir', (p) => addDirs.push(path.relative(root, p)));
  try {
    fsw.add(root);
    await new Promise<void>((resolve) => fsw.once('ready', () => resolve()));
    await fsw.relisted(); // the root was made just now: it is listed once more after its watch is up
    const afterSetup = reads;
    for (let i = 0; i < 10; i++) await fs.appendFile(path.join(root, `f${i}.txt`), 'more');
    for (let i = 0; i < 10; i++) await fs.chmod(path.join(root, `f${i}.txt`), 0o600);
    await waitFor(() => raw.filter((r) => r === 'change f9.txt').length >= 2, 2000, 'the change events');
    await new Promise((r) => setTimeout(r, 300)); // a re-read, had one been asked for, starts at once
    assert.equal(reads, afterSetup, 'no re-read for content and attribute changes');
    await fs.mkdir(path.join(root, 'newdir'));
    await waitFor(() => addDirs.includes('newdir'), 2000, 'the new folder, found by a re-read');
    assert.ok(reads > afterSetup);
  } finally {
    await fsw.close();
    await removeDir(base);
  }
});
