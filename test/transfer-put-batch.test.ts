/**
 * A batch of small downloaded files put in place from a write thread (put-in-place.ts
 * putBatchSync): written to temps, made durable together (one syncfs where batch-sync.ts
 * allows it, else an fsync each), then renamed. Real files in a temp folder; the flush is
 * the real syncfs where the native module is built (CI requires it), and a recording or
 * failing stand-in where a test needs to see or break that one step.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { BatchSync, DIRTY_LIMIT, SYNCFS_LIKE_FSYNC, kernelReportsSyncfsErrors, pendingWriteBytes, type BatchSyncDeps } from '../engine/transfer/batch-sync.js';
import { putBatchSync, type PutJob } from '../engine/transfer/put-in-place.js';
import { nativeModule } from '../engine/util/native-module.js';

const made: string[] = [];
after(() => Promise.all(made.map((d) => fsp.rm(d, { recursive: true, force: true }))));

async function tmpRoot(): Promise<string> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'shoal-batch-'));
  made.push(dir);
  return dir;
}

const MTIME = 1_700_000_000_000;
const QUIET_MEMINFO = 'MemTotal:       24000000 kB\nDirty:               120 kB\nWriteback:             0 kB\n';
const EXT4 = 0xef53;
const FUSE = 0x65735546;

function job(root: string, rel: string, text: string, extra: Partial<PutJob> = {}): PutJob {
  return { root, rel, data: Buffer.from(text), mtimeMs: MTIME, mode: 0o644, expectOld: null, archiveOld: false, ...extra };
}

/** A BatchSync whose syncfs is `syncfs`, on a kernel that reports write-back errors and ext4. */
function batchSyncWith(syncfs: (fd: number) => number, meminfo = QUIET_MEMINFO): BatchSync {
  return new BatchSync({ syncfs, kernelRelease: '6.1.0', meminfo: () => meminfo, fsType: () => EXT4 });
}

function tempsIn(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) if (e.name.endsWith('.!sync')) out.push(e.name);
  return out;
}

test('kernel releases: syncfs reports write-back errors from Linux 5.8 on', () => {
  assert.equal(kernelReportsSyncfsErrors('5.8.0-1-amd64'), true);
  assert.equal(kernelReportsSyncfsErrors('6.18.44-fc-v1272'), true);
  assert.equal(kernelReportsSyncfsErrors('10.0.1'), true);
  assert.equal(kernelReportsSyncfsErrors('5.7.19'), false);
  assert.equal(kernelReportsSyncfsErrors('4.19.0-26-amd64'), false);
  assert.equal(kernelReportsSyncfsErrors('Darwin'), false);
  assert.equal(kernelReportsSyncfsErrors(''), false);
});

test('pending writes are read from /proc/meminfo, or null when it does not say', () => {
  assert.equal(pendingWriteBytes('Dirty:   100 kB\nWriteback:  28 kB\n'), 128 * 1024);
  assert.equal(pendingWriteBytes('Dirty:   100 kB\n'), null);
  assert.equal(pendingWriteBytes(''), null);
  if (process.platform === 'linux') assert.equal(typeof pendingWriteBytes(fs.readFileSync('/proc/meminfo', 'utf8')), 'number');
});

test('a batch is flushed at once only with syncfs, a recent kernel, a local file system like ext4, two files or more, and little else to write', () => {
  const syncfs = (): number => 0;
  const deps = (d: Partial<BatchSyncDeps>): BatchSyncDeps => ({ syncfs, kernelRelease: '6.1.0', meminfo: () => QUIET_MEMINFO, fsType: () => EXT4, ...d });
  assert.equal(new BatchSync(deps({})).worthIt(16, '/data'), true);
  assert.equal(new BatchSync(deps({})).worthIt(1, '/data'), false, 'one file: fsync is the same work');
  assert.equal(new BatchSync(deps({ syncfs: null })).available, false);
  assert.equal(new BatchSync(deps({ syncfs: null })).worthIt(16, '/data'), false);
  assert.equal(new BatchSync(deps({ kernelRelease: '5.4.0' })).worthIt(16, '/data'), false, 'old kernels hide write-back errors');
  const busy = `Dirty: ${DIRTY_LIMIT / 1024} kB\nWriteback: 0 kB\n`;
  assert.equal(new BatchSync(deps({ meminfo: () => busy })).worthIt(16, '/data'), false, 'another program is writing a lot');
  assert.equal(new BatchSync(deps({ meminfo: () => '' })).worthIt(16, '/data'), false, 'unknown: be careful');
  assert.equal(new BatchSync(deps({ fsType: () => FUSE })).worthIt(16, '/media/usb'), false, 'FUSE (ntfs-3g, sshfs): syncfs does not reach the daemon');
  assert.equal(new BatchSync(deps({ fsType: () => 0x6969 })).worthIt(16, '/mnt/nfs'), false, 'NFS: not on the list');
  const gone = new BatchSync(deps({ fsType: () => { throw new Error('ENOENT'); } }));
  assert.equal(gone.worthIt(16, '/nowhere'), false, 'cannot tell: fsync');
  // The file system is looked at once per folder root.
  const asked: string[] = [];
  const counting = new BatchSync(deps({ fsType: (dir) => (asked.push(dir), EXT4) }));
  counting.worthIt(16, '/a');
  counting.worthIt(16, '/a');
  counting.worthIt(16, '/b');
  assert.deepEqual(asked, ['/a', '/b']);
  assert.equal(SYNCFS_LIKE_FSYNC.get(EXT4), 'ext2/3/4');
  assert.equal(SYNCFS_LIKE_FSYNC.has(FUSE), false);
});

test('the native syncfs flushes a real file system and reports a bad descriptor', { skip: process.platform !== 'linux' && 'syncfs is Linux only' }, async (t) => {
  const real = new BatchSync();
  if (!real.available) {
    // CI builds the native module and must not get here.
    assert.notEqual(process.env.SHOAL_REQUIRE_NATIVE, '1', 'the native module did not load');
    t.skip('native module not built here (no C compiler at install)');
    return;
  }
  assert.equal(typeof nativeModule?.syncfs, 'function');
  const root = await tmpRoot();
  const fd = fs.openSync(path.join(root, 'f'), 'w');
  try {
    fs.writeSync(fd, 'durable');
    real.flush(fd);
  } finally {
    fs.closeSync(fd);
  }
  assert.throws(() => real.flush(fd), (e: NodeJS.ErrnoException) => e.code === 'EBADF' && e.syscall === 'syncfs');
  assert.throws(() => nativeModule!.syncfs!(-1), TypeError);
  assert.throws(() => (nativeModule!.syncfs as unknown as (x: unknown) => number)('3'), TypeError);
});

test('a batch lands whole: one flush of all temps before any rename, one of their folders after', async () => {
  const root = await tmpRoot();
  const flushes: Array<{ temps: string[]; landed: boolean }> = [];
  const batch = batchSyncWith(() => {
    flushes.push({ temps: tempsIn(root).sort(), landed: fs.existsSync(path.join(root, 'a.txt')) });
    return 0;
  });
  const jobs = [
    job(root, 'a.txt', 'alpha'),
    job(root, 'sub/b.txt', 'beta'),
    job(root, 'sub/deeper/c d é.txt', 'gamma'),
    job(root, 'run.sh', '#!/bin/sh\n', { mode: 0o755 }),
    job(root, 'empty', ''),
  ];
  const out = putBatchSync(jobs, batch);
  assert.deepEqual(flushes, [
    // the temps, all written, nothing renamed yet
    { temps: ['a.txt.!sync', 'b.txt.!sync', 'c d é.txt.!sync', 'empty.!sync', 'run.sh.!sync'], landed: false },
    // the three folders renamed into (instead of an fsync each)
    { temps: [], landed: true },
  ]);
  for (const [i, j] of jobs.entries()) {
    const o = out[i]!;
    assert.ok('result' in o, JSON.stringify(o));
    assert.equal(o.result.tempAbs, null);
    const abs = path.join(root, j.rel);
    assert.equal(fs.readFileSync(abs, 'utf8'), Buffer.from(j.data).toString());
    assert.equal(Math.round(fs.statSync(abs).mtimeMs), MTIME);
  }
  if (process.platform !== 'win32') assert.equal(fs.statSync(path.join(root, 'run.sh')).mode & 0o111, 0o111);
  assert.deepEqual(tempsIn(root), []);
});

test('a failed flush of the folders fails the files renamed into them', async () => {
  const root = await tmpRoot();
  let calls = 0;
  const out = putBatchSync([job(root, 'x/1.txt', '1'), job(root, 'y/2.txt', '2')], batchSyncWith(() => (++calls === 2 ? os.constants.errno.EIO : 0)));
  assert.equal(calls, 2);
  for (const o of out) assert.ok('error' in o && o.error.code === 'IO_ERROR' && /EIO/.test(o.error.message));
});

test('a failed flush fails every file of the batch, leaves no temp and replaces nothing', async () => {
  const root = await tmpRoot();
  await fsp.writeFile(path.join(root, 'keep.txt'), 'old good version');
  const old = await fsp.stat(path.join(root, 'keep.txt'));
  const batch = batchSyncWith(() => os.constants.errno.EIO);
  const out = putBatchSync(
    [job(root, 'new.txt', 'x'), job(root, 'keep.txt', 'new version', { expectOld: { size: old.size, mtimeMs: old.mtimeMs } })],
    batch,
  );
  for (const o of out) {
    assert.ok('error' in o);
    assert.equal(o.error.code, 'IO_ERROR');
    assert.match(o.error.message, /EIO/);
  }
  assert.equal(fs.existsSync(path.join(root, 'new.txt')), false);
  assert.equal(fs.readFileSync(path.join(root, 'keep.txt'), 'utf8'), 'old good version');
  assert.deepEqual(tempsIn(root), []);
});

test('one bad job does not spoil the batch; the flush uses a file that was written', async () => {
  const root = await tmpRoot();
  const flushedFds: number[] = [];
  const batch = batchSyncWith((fd) => {
    flushedFds.push(fd);
    return 0;
  });
  const out = putBatchSync([job(root, '../escape.txt', 'no'), job(root, 'ok1.txt', 'one'), job(root, 'ok2.txt', 'two')], batch);
  assert.ok('error' in out[0]!);
  assert.ok('result' in out[1]! && 'result' in out[2]!);
  assert.equal(flushedFds.length, 1, 'the temps (one folder: fsynced, not flushed)');
  assert.equal(fs.existsSync(path.join(root, '..', 'escape.txt')), false);
  assert.equal(fs.readFileSync(path.join(root, 'ok2.txt'), 'utf8'), 'two');
});

test('without a batch flush (one file, or none available) files are fsynced one by one and land the same', async () => {
  const root = await tmpRoot();
  let calls = 0;
  const batch = batchSyncWith(() => ++calls && 0);
  const single = putBatchSync([job(root, 'solo.txt', 'solo')], batch);
  assert.ok('result' in single[0]!);
  assert.equal(calls, 0, 'a single file is fsynced');
  const none = new BatchSync({ syncfs: null, kernelRelease: '6.1.0', meminfo: () => QUIET_MEMINFO, fsType: () => EXT4 });
  const out = putBatchSync([job(root, 'p.txt', 'p'), job(root, 'q.txt', 'q')], none);
  assert.ok(out.every((o) => 'result' in o));
  assert.equal(fs.readFileSync(path.join(root, 'q.txt'), 'utf8'), 'q');
});

test('a batch for two folders (maybe two file systems) is fsynced file by file, not flushed once', async () => {
  const one = await tmpRoot();
  const two = await tmpRoot();
  let calls = 0;
  const out = putBatchSync([job(one, 'a.txt', 'a'), job(two, 'b.txt', 'b'), job(one, 'c.txt', 'c')], batchSyncWith(() => ++calls && 0));
  assert.ok(out.every((o) => 'result' in o));
  assert.equal(calls, 0);
  assert.equal(fs.readFileSync(path.join(two, 'b.txt'), 'utf8'), 'b');
});

test('a file to be archived first is left complete and durable for the caller to rename', async () => {
  const root = await tmpRoot();
  await fsp.writeFile(path.join(root, 'doc.txt'), 'v1');
  const st = await fsp.stat(path.join(root, 'doc.txt'));
  const out = putBatchSync(
    [job(root, 'doc.txt', 'v2', { archiveOld: true, expectOld: { size: st.size, mtimeMs: st.mtimeMs } }), job(root, 'other.txt', 'o')],
    batchSyncWith(() => 0),
  );
  const o = out[0]!;
  assert.ok('result' in o && o.result.tempAbs);
  assert.equal(fs.readFileSync(o.result.tempAbs, 'utf8'), 'v2');
  assert.equal(fs.readFileSync(path.join(root, 'doc.txt'), 'utf8'), 'v1');
});

test('with the real flush (syncfs here when built and on a listed file system, else fsync), a batch lands', async () => {
  const root = await tmpRoot();
  const out = putBatchSync([job(root, 'r1.txt', 'one'), job(root, 'd/r2.txt', 'two'), job(root, 'e/r3.txt', 'three')]);
  assert.ok(out.every((o) => 'result' in o), JSON.stringify(out));
  assert.equal(fs.readFileSync(path.join(root, 'e', 'r3.txt'), 'utf8'), 'three');
  assert.deepEqual(tempsIn(root), []);
});
