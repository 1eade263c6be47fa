import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { mkdirSync, writeFileSync, type Stats } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { IgnoreRules } from '../engine/index/ignore.js';
import { DirectoryWatcher } from '../engine/index/directory-watcher.js';
import { FolderWatcher } from '../engine/index/watcher.js';
import { removeDir, tempDir, waitFor } from './index-helpers.js';

async function setup(rootCheckMs = 2000, debounceMs = 30) {
  const base = await tempDir();
  const root = path.join(base, 'folder');
  await fs.mkdir(path.join(root, 'sub'), { recursive: true });
  await fs.writeFile(path.join(root, 'sub', 'existing.txt'), 'x');
  const rules = IgnoreRules.parse('*.tmp\n');
  const w = new FolderWatcher({ root, rules, rootCheckMs, debounceMs });
  const seen: string[] = [];
  let rootGone = 0;
  let ignoreChanged = 0;
  w.on('change', (p) => seen.push(p));
  w.on('rootGone', () => rootGone++);
  w.on('ignoreFileChanged', () => ignoreChanged++);
  await w.start();
  return {
    base,
    root,
    w,
    seen,
    rootGone: () => rootGone,
    ignoreChanged: () => ignoreChanged,
    done: async () => {
      await w.close();
      await removeDir(base);
    },
  };
}

test('new, changed and removed files are reported; ignored and internal ones are not', async () => {
  const t = await setup();
  try {
    await fs.writeFile(path.join(t.root, 'junk.tmp'), 'ignored');
    await fs.writeFile(path.join(t.root, 'x.txt.!sync'), 'engine temp file');
    await fs.writeFile(path.join(t.root, 'new file ü.txt'), 'hello');
    await waitFor(() => t.seen.includes('new file ü.txt'), 1000, 'the new file');
    await fs.appendFile(path.join(t.root, 'sub', 'existing.txt'), 'more');
    await waitFor(() => t.seen.includes('sub/existing.txt'), 1000, 'the changed file');
    await fs.rm(path.join(t.root, 'new file ü.txt'));
    await waitFor(() => t.seen.filter((p) => p === 'new file ü.txt').length >= 2, 1000, 'the removal');
    await fs.mkdir(path.join(t.root, 'newdir'));
    await waitFor(() => t.seen.includes('newdir'), 1000, 'the new folder');
    assert.ok(!t.seen.includes('junk.tmp'));
    assert.ok(!t.seen.includes('x.txt.!sync'));
    assert.equal(t.rootGone(), 0);
  } finally {
    await t.done();
  }
});

test('folders created while watching are watched too, however deep and among many files; symlinked folders are not followed', async () => {
  const t = await setup();
  try {
    // Many files first: the folder is re-read (from its listing's entry types) as they arrive.
    // (Files that land before a new folder's watch is set up are the engine's job: it looks
    // inside new folders, local-changes.ts. Here the folder is reported first.)
    const busy = path.join(t.root, 'busy');
    await fs.mkdir(busy);
    await waitFor(() => t.seen.includes('busy'), 2000, 'the new folder');
    await new Promise((r) => setTimeout(r, 300)); // let its watch be set up
    await Promise.all(Array.from({ length: 200 }, (_, i) => fs.writeFile(path.join(busy, `f${i}.txt`), 'x')));
    await waitFor(() => t.seen.includes('busy/f199.txt'), 2000, 'the files in the new folder');
    // A folder among those files, and folders inside folders, each created after the watch began.
    await fs.mkdir(path.join(busy, 'inner'));
    await waitFor(() => t.seen.includes('busy/inner'), 2000, 'the folder among the files');
    await fs.mkdir(path.join(t.root, 'a', 'b', 'c'), { recursive: true });
    // Each new folder is reported as it is found, then listed, then watched (chokidar's
    // order): wait for the deepest to be reported, then a moment for its listing and watch.
    // (A fixed wait from the mkdir was too short on a loaded CI machine.)
    await waitFor(() => t.seen.includes('a/b/c'), 2000, 'the three new folders');
    await new Promise((r) => setTimeout(r, 300));
    await fs.writeFile(path.join(t.root, 'a', 'b', 'c', 'deep.txt'), 'deep');
    await fs.writeFile(path.join(busy, 'inner', 'x.txt'), 'x');
    await waitFor(() => t.seen.includes('a/b/c/deep.txt'), 2000, 'a file three new folders down');
    await waitFor(() => t.seen.includes('busy/inner/x.txt'), 2000, 'a file in the folder among the files');

    const outside = path.join(t.base, 'outside');
    await fs.mkdir(outside);
    await fs.symlink(outside, path.join(t.root, 'link'));
    await waitFor(() => t.seen.includes('link'), 2000, 'the symlink itself');
    await fs.writeFile(path.join(outside, 'secret.txt'), 'not ours');
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(!t.seen.some((p) => p.startsWith('link/')), `nothing reported through the symlink: ${t.seen.filter((p) => p.startsWith('link'))}`);
  } finally {
    await t.done();
  }
});

test('a folder created while files keep landing beside it is still watched (re-reads are paced, not dropped)', async () => {
  const t = await setup();
  try {
    const busy = path.join(t.root, 'sub');
    // Files land in `sub` back to back, so its re-reads are paced (watcher.ts REREAD_MS); the
    // folder is created inside such a window and the writing stops right after it: only the
    // read at the end of that window can find it.
    for (let i = 0; i < 100; i++) await fs.writeFile(path.join(busy, `n${i}.txt`), 'x');
    await fs.mkdir(path.join(busy, 'late'));
    await waitFor(() => t.seen.includes('sub/late'), 2000, 'the new folder among the landing files');
    await new Promise((r) => setTimeout(r, 700)); // longer than a re-read window and its read
    await fs.writeFile(path.join(busy, 'late', 'x.txt'), 'x');
    await waitFor(() => t.seen.includes('sub/late/x.txt'), 2000, 'a file in that folder, through its own watch');
  } finally {
    await t.done();
  }
});

/**
 * An empty watched folder with the overflow thresholds scaled down: 300 events in one turn
 * of the event loop stand for half of inotify's queue. Counts rescan requests and paths seen.
 */
async function burstSetup() {
  const base = await tempDir();
  const root = path.join(base, 'folder');
  await fs.mkdir(root);
  const w = new FolderWatcher({ root, rules: IgnoreRules.parse(''), burstEvents: 300, burstQuietMs: 300 });
  let lost = 0;
  const seen = new Set<string>();
  w.on('eventsMayBeLost', () => lost++);
  w.on('change', (p) => seen.add(p));
  await w.start();
  return {
    root,
    seen,
    lost: () => lost,
    done: async () => {
      await w.close();
      await removeDir(base);
    },
  };
}

test('a pile of events read in one go (this thread was busy while they queued up, as before the OS queue overflows): one rescan request, once quiet', async () => {
  const t = await burstSetup();
  try {
    // A few changes are no burst.
    for (let i = 0; i < 5; i++) await fs.writeFile(path.join(t.root, `calm${i}.txt`), 'x');
    await waitFor(() => t.seen.has('calm4.txt'), 2000, 'the calm files');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(t.lost(), 0, 'five files are no burst');
    // 400 files (two events each) written while this thread reads no events: they all
    // come in the next turn.
    for (let i = 0; i < 400; i++) writeFileSync(path.join(t.root, `burst${i}.txt`), 'x');
    await waitFor(() => t.lost() > 0, 3000, 'the rescan request');
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(t.lost(), 1, 'one request per burst');
  } finally {
    await t.done();
  }
});

test('many events read as they come are no burst, however fast they arrive (a download landing makes tens of thousands)', async () => {
  const t = await burstSetup();
  try {
    // The same 400 files, each written with this thread free to read events in between:
    // more than 300 events within a second, never 300 in one turn.
    for (let i = 0; i < 400; i++) await fs.writeFile(path.join(t.root, `f${i}.txt`), 'x');
    await waitFor(() => t.seen.has('f399.txt'), 3000, 'the last file');
    await new Promise((r) => setTimeout(r, 800)); // longer than the quiet time
    assert.equal(t.lost(), 0, 'no rescan: nothing can have been dropped');
    assert.equal(t.seen.size, 400);
  } finally {
    await t.done();
  }
});

test('a burst of writes to one path is reported once', async () => {
  const t = await setup(2000, 300); // a quiet time far above the time between the writes
  try {
    const file = path.join(t.root, 'burst.txt');
    for (let i = 0; i < 5; i++) await fs.appendFile(file, `line ${i}\n`);
    await waitFor(() => t.seen.includes('burst.txt'), 2000, 'the burst');
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(t.seen.filter((p) => p === 'burst.txt').length, 1);
  } finally {
    await t.done();
  }
});

test('.SyncIgnore changes are reported separately, and new rules take effect', async () => {
  const t = await setup();
  try {
    await fs.writeFile(path.join(t.root, '.SyncIgnore'), '*.log\n');
    await waitFor(() => t.ignoreChanged() > 0, 1000, 'the ignore file event');
    assert.ok(!t.seen.includes('.SyncIgnore'));
    await t.w.setRules(IgnoreRules.parse('*.log\n'));
    await fs.writeFile(path.join(t.root, 'a.log'), 'ignored now');
    await fs.writeFile(path.join(t.root, 'a.tmp'), 'not ignored any more');
    await waitFor(() => t.seen.includes('a.tmp'), 1000, 'a.tmp');
    assert.ok(!t.seen.includes('a.log'));
  } finally {
    await t.done();
  }
});

test('removing the root reports rootGone, not a deletion of every file', async () => {
  const t = await setup();
  try {
    await fs.rm(t.root, { recursive: true });
    await waitFor(() => t.rootGone() > 0, 3000, 'rootGone');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(t.rootGone(), 1);
    assert.deepEqual(t.seen, []);
  } finally {
    await t.done();
  }
});

test('a root replaced by another folder is noticed by the periodic check', async () => {
  const t = await setup(50);
  try {
    await fs.rename(t.root, path.join(t.base, 'moved-away'));
    await fs.mkdir(t.root);
    await waitFor(() => t.rootGone() > 0, 3000, 'rootGone');
  } finally {
    await t.done();
  }
});

test('close is idempotent and silences the watcher', async () => {
  const t = await setup();
  await Promise.all([t.w.close(), t.w.close()]);
  await fs.writeFile(path.join(t.root, 'after-close.txt'), 'x');
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(t.seen, []);
  await t.done();
});

/**
 * A bare DirectoryWatcher on a fresh empty folder, watching directories only as FolderWatcher
 * does, recording every raw event path and every folder reported by onWatched.
 */
async function bareWatcher(hooks: { onWatched?: (dir: string) => void; beforeWatch?: (dir: string) => void; prepare?: (root: string) => Promise<void> } = {}) {
  const base = await tempDir();
  const root = path.join(base, 'folder');
  await fs.mkdir(root);
  await hooks.prepare?.(root);
  const watched: string[] = [];
  const raw: string[] = [];
  const dw = new DirectoryWatcher({
    ignoreInitial: true,
    followSymlinks: false,
    atomic: false,
    ignored: (_p: string, stats?: Stats) => !!stats && !stats.isDirectory(),
    onRaw: (_event, name, watchedPath) => {
      raw.push(path.join(watchedPath, name));
      return true;
    },
    onWatched: (dir) => {
      watched.push(dir);
      hooks.onWatched?.(dir);
    },
    ...(hooks.beforeWatch ? { beforeWatch: hooks.beforeWatch } : {}),
  });
  dw.add(root);
  await new Promise<void>((resolve) => dw.once('ready', () => resolve()));
  return {
    root,
    watched,
    raw,
    done: async () => {
      await dw.close();
      await removeDir(base);
    },
  };
}

test('a folder created while watching is reported to its owner once its own watch is up (onWatched), and from then on changes in it are seen', async () => {
  const t = await bareWatcher({
    // At this moment the folder's OS watch exists: a change made now is reported.
    onWatched: (dir) => {
      if (dir.endsWith(`${path.sep}new`)) writeFileSync(path.join(dir, 'edited.txt'), 'x');
    },
  });
  try {
    assert.equal(t.watched.length, 0, 'the initial watches are not reported (the engine scans everything at start)');
    await fs.mkdir(path.join(t.root, 'new'));
    await waitFor(() => t.watched.includes(path.join(t.root, 'new')), 2000, 'the new folder watched');
    await waitFor(() => t.raw.includes(path.join(t.root, 'new', 'edited.txt')), 2000, 'the change made as the watch came up');
  } finally {
    await t.done();
  }
});

test('a subfolder created between its parent\'s listing and its watch is still found and watched (the parent is listed again once watched)', async () => {
  let root = '';
  const t = await bareWatcher({
    // The window: 'parent' has been listed (empty) and its OS watch is not up yet.
    beforeWatch: (dir) => {
      if (dir === path.join(root, 'parent')) mkdirSync(path.join(dir, 'child'));
    },
  });
  root = t.root;
  try {
    await fs.mkdir(path.join(root, 'parent'));
    await waitFor(() => t.watched.includes(path.join(root, 'parent', 'child')), 3000, 'the child folder watched');
    writeFileSync(path.join(root, 'parent', 'child', 'x.txt'), 'x');
    await waitFor(() => t.raw.includes(path.join(root, 'parent', 'child', 'x.txt')), 2000, 'a change in the child folder');
  } finally {
    await t.done();
  }
});

test('during the first setup too, a subfolder created between its parent\'s listing and its watch is found and watched', async () => {
  let root = '';
  let made = false;
  const t = await bareWatcher({
    prepare: async (r) => {
      root = r;
      await fs.mkdir(path.join(r, 'parent'));
    },
    // The window, before 'ready': 'parent' has been listed (empty) and its OS watch is not up yet.
    beforeWatch: (dir) => {
      if (dir === path.join(root, 'parent') && !made) {
        made = true;
        mkdirSync(path.join(dir, 'child'));
      }
    },
  });
  try {
    assert.ok(made, 'the subfolder was made in the window');
    // Once chokidar has found it, changes in it are reported; before, they never would be.
    const file = path.join(root, 'parent', 'child', 'x.txt');
    for (let i = 0; i < 60 && !t.raw.includes(file); i++) {
      writeFileSync(file, String(i));
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(t.raw.includes(file), 'a change in the child folder was seen within 3 s');
  } finally {
    await t.done();
  }
});
