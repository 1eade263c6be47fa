import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { ShoalError } from '../engine/errors.js';
import { hashFile } from '../engine/index/hasher.js';
import { FolderIndexer } from '../engine/index/folder-indexer.js';
import type { ScanHit } from '../engine/model/host.js';
import { removeDir, tempDir, waitFor } from './index-helpers.js';

test('FolderIndexer: full scan, single path, ignores, watch, close', async () => {
  const base = await tempDir();
  const root = path.join(base, 'f');
  await fs.mkdir(path.join(root, 'd'), { recursive: true });
  await fs.writeFile(path.join(root, 'd', 'a.txt'), 'a');
  await fs.writeFile(path.join(root, 'locked.txt'), 'l');
  await fs.writeFile(path.join(root, '.SyncIgnore'), '*.tmp\n');
  await fs.writeFile(path.join(root, 'x.tmp'), 'ignored');
  let lockedFails = true;
  const ix = new FolderIndexer(root, {
    hasher: (p, o) => {
      if (lockedFails && p.endsWith('locked.txt')) return Promise.reject(new ShoalError('IO_ERROR', 'locked'));
      return hashFile(p, o);
    },
    debounceMs: 20,
  });
  try {
    await ix.reloadIgnores();
    const hits: ScanHit[] = [];
    const present = await ix.scanAll(() => undefined, (h) => hits.push(h));
    assert.deepEqual(hits.map((h) => h.path).sort(), ['d', 'd/a.txt']);
    assert.ok(present.has('d/a.txt'));
    assert.ok(present.has('locked.txt'), 'unreadable counts as present');
    assert.ok(!present.has('gone.txt'));
    assert.equal(ix.ignored('x.tmp', false), true);
    lockedFails = false;

    const a = hits.find((h) => h.path === 'd/a.txt')!;
    assert.equal(a.chunks?.length, 1);
    const same = await ix.scanOne('d/a.txt', { size: a.size, mtimeMs: a.mtimeMs, ino: a.ino });
    assert.equal(same?.chunks, null);
    assert.equal(await ix.scanOne('nope.txt', undefined), null);
    assert.equal(await ix.scanOne('x.tmp', undefined), null);

    const paths: string[] = [];
    await ix.watch(
      (p) => paths.push(p),
      () => assert.fail('root is still there'),
      () => assert.fail('two files are no burst'),
    );
    await fs.writeFile(path.join(root, 'new.txt'), 'n');
    await waitFor(() => paths.includes('new.txt'), 1000, 'new.txt');
    await fs.writeFile(path.join(root, '.SyncIgnore'), '*.log\n');
    await waitFor(() => paths.includes('.SyncIgnore'), 1000, 'the ignore file');
    assert.equal(ix.ignored('x.tmp', false), false, 'rules reloaded');
    assert.equal(ix.ignored('y.log', false), true);
  } finally {
    await ix.close();
    await ix.close();
    await removeDir(base);
  }
});

test('a first scan warms the hash worker only for a folder that holds something of the user\'s', async () => {
  const { hashWorker } = await import('../engine/index/hash-pool.js');
  const receiving = await tempDir();
  const sending = await tempDir();
  try {
    await fs.mkdir(path.join(receiving, '.sync'));
    await fs.writeFile(path.join(receiving, 'x.!sync'), 'partial');
    await fs.writeFile(path.join(sending, 'photo.jpg'), 'bytes');
    hashWorker.stopIfIdle();
    const r = new FolderIndexer(receiving);
    await r.warmUp();
    assert.equal(hashWorker.running, false, 'only our own names: nothing to hash, no worker');
    await r.close();
    const s = new FolderIndexer(sending);
    await s.warmUp();
    assert.equal(hashWorker.running, true, 'a file to hash: the worker is starting');
    await s.close();
  } finally {
    hashWorker.stopIfIdle();
    await removeDir(receiving);
    await removeDir(sending);
  }
});
