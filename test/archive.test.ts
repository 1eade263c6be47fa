import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { archiveFile, cleanupArchive } from '../engine/archive/archive.js';
import { nextVersionName, splitExt, versionName } from '../engine/archive/naming.js';

const DAY = 24 * 60 * 60 * 1000;
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

async function tmp(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'shoal-archive-'));
  made.push(dir);
  return dir;
}
const made: string[] = [];
after(() => Promise.all(made.map((d) => fs.rm(d, { recursive: true, force: true }))));

test('version names: name.ext, name.1.ext, name.2.ext; names without extension', () => {
  assert.deepEqual(splitExt('a.txt'), ['a', '.txt']);
  assert.deepEqual(splitExt('archive.tar.gz'), ['archive.tar', '.gz']);
  assert.deepEqual(splitExt('.bashrc'), ['.bashrc', '']);
  assert.deepEqual(splitExt('Makefile'), ['Makefile', '']);
  assert.equal(versionName('a.txt', 2), 'a.2.txt');
  assert.equal(versionName('Makefile', 1), 'Makefile.1');
  assert.equal(versionName('.bashrc', 3), '.bashrc.3');
  assert.equal(nextVersionName('a.txt', []), 'a.txt');
  assert.equal(nextVersionName('a.txt', ['a.txt']), 'a.1.txt');
  assert.equal(nextVersionName('a.txt', ['a.txt', 'a.1.txt', 'a.2.txt', 'b.txt', 'a.x.txt']), 'a.3.txt');
  // The oldest expired: numbering continues, so the highest number stays the newest.
  assert.equal(nextVersionName('a.txt', ['a.4.txt']), 'a.5.txt');
  assert.equal(nextVersionName('a', ['a', 'a.1', 'a.10']), 'a.11');
  assert.equal(nextVersionName('a.1.txt', ['a.1.txt', 'a.2.txt']), 'a.1.1.txt');
  assert.equal(nextVersionName('a.txt', ['a.01.txt', 'a.0.txt']), 'a.txt');
});

test('archiveFile moves files to .SyncArchive/<rel> with numbered versions and mtime = now', async () => {
  const root = await tmp();
  await fs.mkdir(path.join(root, 'docs'));
  const now = Date.UTC(2024, 0, 2, 3, 4, 5, 678);
  const names: string[] = [];
  for (const v of ['one', 'two', 'three']) {
    await fs.writeFile(path.join(root, 'docs/a.txt'), v);
    const res = await archiveFile(root, 'docs/a.txt', { maxSizeBytes: 1024, nowMs: now });
    assert.equal(res.archived, true);
    if (res.archived) names.push(res.archivedAs);
    await assert.rejects(fs.stat(path.join(root, 'docs/a.txt')), { code: 'ENOENT' });
  }
  assert.deepEqual(names, ['.SyncArchive/docs/a.txt', '.SyncArchive/docs/a.1.txt', '.SyncArchive/docs/a.2.txt']);
  assert.equal(await fs.readFile(path.join(root, '.SyncArchive/docs/a.txt'), 'utf8'), 'one');
  assert.equal(await fs.readFile(path.join(root, '.SyncArchive/docs/a.2.txt'), 'utf8'), 'three');
  assert.equal(Math.floor((await fs.stat(path.join(root, '.SyncArchive/docs/a.1.txt'))).mtimeMs), now);

  await fs.writeFile(path.join(root, 'Makefile'), 'm1');
  await archiveFile(root, 'Makefile', { maxSizeBytes: 1024 });
  await fs.writeFile(path.join(root, 'Makefile'), 'm2');
  await archiveFile(root, 'Makefile', { maxSizeBytes: 1024 });
  assert.deepEqual((await fs.readdir(path.join(root, '.SyncArchive'))).sort(), ['Makefile', 'Makefile.1', 'docs']);
});

test('concurrent archives: distinct names in one folder all land; the same file is archived once', async () => {
  const root = await tmp();
  await fs.mkdir(path.join(root, 'k'));
  for (let i = 0; i < 8; i++) await fs.writeFile(path.join(root, `k/f${i}.txt`), String(i));
  const res = await Promise.all(Array.from({ length: 8 }, (_, i) => archiveFile(root, `k/f${i}.txt`, { maxSizeBytes: 100 })));
  assert.ok(res.every((r) => r.archived));
  assert.equal((await fs.readdir(path.join(root, '.SyncArchive/k'))).length, 8);

  await fs.writeFile(path.join(root, 'k/same.txt'), 'once');
  const same = await Promise.all(Array.from({ length: 5 }, () => archiveFile(root, 'k/same.txt', { maxSizeBytes: 100 })));
  assert.equal(same.filter((r) => r.archived).length, 1);
  assert.ok(same.every((r) => r.archived || r.reason === 'missing'));
  assert.equal(await fs.readFile(path.join(root, '.SyncArchive/k/same.txt'), 'utf8'), 'once');
});

test('withLock runs tasks for one key one at a time, in order', async () => {
  const { withLock } = await import('../engine/archive/lock.js');
  const log: string[] = [];
  const task = (id: string, ms: number) => withLock('k', async () => {
    log.push(`start ${id}`);
    await new Promise((r) => setTimeout(r, ms));
    log.push(`end ${id}`);
    return id;
  });
  const out = await Promise.all([task('a', 15), task('b', 1), task('c', 5)]);
  assert.deepEqual(out, ['a', 'b', 'c']);
  assert.deepEqual(log, ['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  await assert.rejects(withLock('k', async () => { throw new Error('boom'); }), /boom/);
  assert.equal(await withLock('k', async () => 1), 1); // a failed task releases the lock
});

test('files above max_file_size_for_versioning are not archived; missing files report so', async () => {
  const root = await tmp();
  await fs.writeFile(path.join(root, 'big.bin'), Buffer.alloc(5000));
  assert.deepEqual(await archiveFile(root, 'big.bin', { maxSizeBytes: 4999 }), { archived: false, reason: 'too-big' });
  assert.equal((await fs.stat(path.join(root, 'big.bin'))).size, 5000);
  assert.deepEqual(await archiveFile(root, 'nope.txt', { maxSizeBytes: 1e9 }), { archived: false, reason: 'missing' });
  await fs.mkdir(path.join(root, 'dir'));
  assert.deepEqual(await archiveFile(root, 'dir', { maxSizeBytes: 1e9 }), { archived: false, reason: 'not-a-file' });
  assert.equal((await archiveFile(root, 'big.bin', { maxSizeBytes: 5000 })).archived, true);
});

test('cleanupArchive removes versions older than the TTL, then empty folders', async () => {
  const root = await tmp();
  const now = Date.now();
  await fs.mkdir(path.join(root, 'a/b'), { recursive: true });
  await fs.writeFile(path.join(root, 'a/b/old.txt'), 'o');
  await fs.writeFile(path.join(root, 'a/keep.txt'), 'k');
  await fs.writeFile(path.join(root, 'top.txt'), 't');
  await archiveFile(root, 'a/b/old.txt', { maxSizeBytes: 100, nowMs: now - 31 * DAY });
  await archiveFile(root, 'a/keep.txt', { maxSizeBytes: 100, nowMs: now - 29 * DAY });
  await archiveFile(root, 'top.txt', { maxSizeBytes: 100, nowMs: now - 40 * DAY });

  assert.deepEqual(await cleanupArchive(root, 0, now), { removedFiles: [], removedDirs: [], keptFiles: 0 }); // 0 = keep forever
  const res = await cleanupArchive(root, 30, now);
  assert.deepEqual(res.removedFiles.sort(), ['.SyncArchive/a/b/old.txt', '.SyncArchive/top.txt']);
  assert.deepEqual(res.removedDirs, ['.SyncArchive/a/b']);
  assert.equal(res.keptFiles, 1);
  assert.deepEqual(await fs.readdir(path.join(root, '.SyncArchive/a')), ['keep.txt']);
  // A day later the rest expires; .SyncArchive itself stays.
  const later = await cleanupArchive(root, 30, now + 2 * DAY);
  assert.deepEqual(later.removedFiles, ['.SyncArchive/a/keep.txt']);
  assert.deepEqual(await fs.readdir(path.join(root, '.SyncArchive')), []);
  // No archive at all: nothing to do.
  assert.deepEqual(await cleanupArchive(await tmp(), 30, now), { removedFiles: [], removedDirs: [], keptFiles: 0 });
});

test('cleanupArchive does not follow symlinks out of the archive', { skip: process.platform === 'win32' && 'symlinks' }, async () => {
  const root = await tmp();
  const outside = await tmp();
  await fs.writeFile(path.join(outside, 'precious'), 'p');
  await fs.utimes(path.join(outside, 'precious'), 1, 1);
  await fs.mkdir(path.join(root, '.SyncArchive'));
  await fs.symlink(outside, path.join(root, '.SyncArchive/link'));
  const res = await cleanupArchive(root, 1, Date.now() + 1000 * DAY);
  assert.deepEqual(res.removedFiles, ['.SyncArchive/link']); // the link itself, an archived entry
  assert.equal(await fs.readFile(path.join(outside, 'precious'), 'utf8'), 'p');
});

test('archive on another device falls back to copy + unlink', { skip: !isRoot && 'needs root to mount a tmpfs' }, async () => {
  const root = await tmp();
  const archiveDir = path.join(root, '.SyncArchive');
  await fs.mkdir(archiveDir);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', archiveDir]);
  try {
    await fs.writeFile(path.join(root, 'x.txt'), 'cross-device');
    await fs.chmod(path.join(root, 'x.txt'), 0o640);
    const res = await archiveFile(root, 'x.txt', { maxSizeBytes: 1e9 });
    assert.deepEqual(res, { archived: true, archivedAs: '.SyncArchive/x.txt' });
    assert.equal(await fs.readFile(path.join(archiveDir, 'x.txt'), 'utf8'), 'cross-device');
    assert.equal((await fs.stat(path.join(archiveDir, 'x.txt'))).mode & 0o777, 0o640);
    await assert.rejects(fs.stat(path.join(root, 'x.txt')), { code: 'ENOENT' });

    // The archive device is full: DISK_FULL, the original stays, no partial copy is left.
    await fs.writeFile(path.join(root, 'huge.bin'), Buffer.alloc(2 * 1024 * 1024, 7));
    await assert.rejects(archiveFile(root, 'huge.bin', { maxSizeBytes: 1e9 }), (e: unknown) => (e as { code?: string }).code === 'DISK_FULL');
    assert.equal((await fs.stat(path.join(root, 'huge.bin'))).size, 2 * 1024 * 1024);
    assert.deepEqual(await fs.readdir(archiveDir), ['x.txt']);
  } finally {
    execFileSync('umount', [archiveDir]);
  }
});
