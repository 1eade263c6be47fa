import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { chunkHash } from '../engine/index/chunk-hash.js';
import { chunkBuffer } from '../engine/index/chunk-hasher.js';
import { MAX_CHUNK } from '../engine/index/chunker.js';
import { ChunkLocator } from '../engine/model/locator.js';
import { PreviewSweeper } from '../engine/model/preview-sweeper.js';
import { RUN_BYTES, copyLocalChunks, newJob, nextRun, splitLocal, type Job, type PlanHost } from '../engine/model/pull-job.js';
import type { FileRecord } from '../engine/model/record.js';
import { FileAssembler } from '../engine/transfer/assembler.js';
import { seededBytes } from './index-helpers.js';

const made: string[] = [];
after(() => Promise.all(made.map((d) => fs.rm(d, { recursive: true, force: true }))));

function makeRecord(rel: string, data: Buffer, chunkSize: number): FileRecord {
  const chunks = [];
  for (let off = 0; off < data.length; off += chunkSize) {
    const c = data.subarray(off, Math.min(off + chunkSize, data.length));
    chunks.push({ hash: chunkHash(c), size: c.length });
  }
  return {
    path: rel, kind: 'file', size: data.length, mtimeMs: 1_700_000_000_000, mode: 0o644, chunks, deleted: false,
    version: [['dev', 1]], changedAt: 1, origin: 'dev', sig: Buffer.alloc(64),
  };
}

/**
 * A peer's rename reaches us as a deletion plus an addition. The deletion archives the old
 * file while the addition copies from it: the copy fails, and must wait for that deletion
 * to finish (the locator then points into .SyncArchive) instead of downloading the bytes.
 */
test('a copy whose source is being archived waits for the archive move and copies from there', async () => {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'shoal-pulljob-'));
  made.push(root);
  const data = randomBytes(200_000);
  const old = makeRecord('before.bin', data, 64 * 1024);
  await fs.writeFile(path.join(root, 'before.bin'), data);
  const locator = new ChunkLocator();
  locator.addFile(old);

  let finishDelete!: () => void;
  const deleting = new Promise<void>((resolve) => (finishDelete = resolve));
  const waitedFor: string[] = [];
  const host: PlanHost = {
    root,
    locator,
    mayPatch: () => true,
    settled: (rel) => {
      waitedFor.push(rel);
      return rel === 'before.bin' ? deleting : Promise.resolve();
    },
  };

  const target = { ...old, path: 'docs/after.bin' };
  const job = newJob(target);
  job.asm = await FileAssembler.open(root, target);
  const local = splitLocal(job, job.asm.missing(), host);
  assert.equal(local.length, old.chunks.length, 'every chunk is planned as a local copy');

  // The deletion's archive move happens on disk; its bookkeeping is not done yet.
  await fs.mkdir(path.join(root, '.SyncArchive'));
  await fs.rename(path.join(root, 'before.bin'), path.join(root, '.SyncArchive/before.bin'));
  let kicks = 0;
  const copying = copyLocalChunks(job, local, host, 2, () => kicks++);
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(waitedFor.includes('before.bin'), 'the failed copy waits for the deletion at its source');
  // The deletion finishes: the locator now knows the archived copy.
  locator.removeFile(old);
  locator.addFile({ ...old, path: '.SyncArchive/before.bin' });
  finishDelete();
  await copying;

  assert.equal(job.fetchedBytes, 0);
  assert.deepEqual(job.remote, [], 'nothing left to download');
  assert.equal(kicks, 0);
  assert.equal(job.copiedBytes, data.length);
  assert.deepEqual(job.asm.missing(), []);
  await job.asm.finalize({ archive: null, expectOld: null });
  assert.ok((await fs.readFile(path.join(root, 'docs/after.bin'))).equals(data));
});

test('a copy whose source vanished with no deletion under way is downloaded instead', async () => {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'shoal-pulljob-'));
  made.push(root);
  const data = randomBytes(100_000);
  const old = makeRecord('gone.bin', data, 64 * 1024);
  const locator = new ChunkLocator();
  locator.addFile(old); // the index still lists it; the user removed it from disk
  const host: PlanHost = { root, locator, mayPatch: () => true, settled: () => Promise.resolve() };
  const target = { ...old, path: 'copy.bin' };
  const job = newJob(target);
  job.asm = await FileAssembler.open(root, target);
  const local = splitLocal(job, job.asm.missing(), host);
  let kicks = 0;
  await copyLocalChunks(job, local, host, 2, () => kicks++);
  assert.equal(job.copiedBytes, 0);
  assert.deepEqual([...job.remote].sort(), old.chunks.map((_, i) => i), 'every chunk queued for download');
  assert.ok(kicks > 0, 'the puller was told to send requests');
  await job.asm.abort({ keepTemp: false });
});

/**
 * Preview downloads whose final record never comes are dropped (their temps may be huge);
 * previews with recent news, and ordinary downloads, are left alone.
 */
test('the preview sweeper drops only previews that heard nothing for the idle time', async () => {
  const data = randomBytes(1000);
  const job = (preview: boolean, ageMs: number): Job =>
    ({ record: { ...makeRecord(`${preview}-${ageMs}.bin`, data, 1000), preview }, news: Date.now() - ageMs }) as unknown as Job;
  const stale = job(true, 10_000);
  const fresh = job(true, 0);
  const ordinary = job(false, 10_000);
  const jobs = new Set([stale, fresh, ordinary]);
  const dropped: Job[] = [];
  const sweeper = new PreviewSweeper(() => jobs, (j) => {
    dropped.push(j);
    jobs.delete(j);
  }, 200);
  sweeper.arm();
  sweeper.arm(); // one sweep pending at a time
  for (let i = 0; i < 50 && dropped.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(dropped, [stale]);
  // The fresh preview keeps the sweeper going, and goes once it too is idle for long enough.
  for (let i = 0; i < 100 && !dropped.includes(fresh); i++) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(dropped, [stale, fresh]);
  assert.ok(jobs.has(ordinary), 'an ordinary download is never swept');
  sweeper.close();
});

/**
 * An insert in the middle of a big file: the chunks after it hold old bytes, but the
 * content-defined cuts can take a few chunks to fall back in step with the old ones, so
 * those chunks have new hashes. They are guessed at in the old version (moved by the
 * insert's length, known from the first chunk found again) and copied, not downloaded.
 */
test('chunks after an insert that were cut differently are copied from the old version', async () => {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'shoal-pulljob-'));
  made.push(root);
  let resyncSeen = false;
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    const oldData = seededBytes(12 * 1024 * 1024, seed);
    const insert = seededBytes(1024 * 1024 + 17, seed + 100);
    const at = 6 * 1024 * 1024 + 333;
    const newData = Buffer.concat([oldData.subarray(0, at), insert, oldData.subarray(at)]);
    const rel = `big-${seed}.bin`;
    const withChunks = (data: Buffer): FileRecord => ({ ...makeRecord(rel, data, data.length), chunks: chunkBuffer(data), size: data.length });
    const oldRec = withChunks(oldData);
    const newRec = { ...withChunks(newData), version: [['dev', 2]] as FileRecord['version'] };
    await fs.writeFile(path.join(root, rel), oldData);
    const locator = new ChunkLocator();
    locator.addFile(oldRec);
    const host: PlanHost = { root, locator, mayPatch: () => true, settled: () => Promise.resolve() };

    const job = newJob(newRec);
    job.asm = await FileAssembler.open(root, newRec);
    const missing = job.asm.missing();
    const byHash = missing.filter((i) => locator.find(newRec.chunks[i]!.hash)).length;
    const local = splitLocal(job, missing, host);
    if (local.length > byHash) resyncSeen = true;
    await copyLocalChunks(job, local, host, 2, () => undefined);
    // What is left is downloaded: it must be about the insert and the two chunks around it.
    let offset = 0;
    const offsets = newRec.chunks.map((c) => ((offset += c.size), offset - c.size));
    let fetched = 0;
    for (const i of job.remote) {
      const c = newRec.chunks[i]!;
      await job.asm.writeChunk(i, newData.subarray(offsets[i]!, offsets[i]! + c.size));
      fetched += c.size;
    }
    assert.ok(fetched <= insert.length + 2 * MAX_CHUNK, `seed ${seed}: ${fetched} bytes downloaded for an insert of ${insert.length}`);
    assert.deepEqual(job.asm.missing(), []);
    await job.asm.finalize({ archive: null, expectOld: { size: oldData.length, mtimeMs: (await fs.stat(path.join(root, rel))).mtimeMs } });
    assert.ok((await fs.readFile(path.join(root, rel))).equals(newData), `seed ${seed}: the new version is exact`);
  }
  assert.ok(resyncSeen, 'at least one of these inserts needed guessed chunks (else this test shows nothing)');
});

test('nextRun: adjacent chunks still to fetch go in one request, up to the link\'s count, RUN_BYTES and the 4 MiB extent edge', async () => {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'shoal-pulljob-'));
  made.push(root);
  const data = randomBytes(6 * 1024 * 1024);
  const record = makeRecord('runs.bin', data, 200 * 1024); // 30.72 chunks: 31, the last short
  const job: Job = newJob(record);
  job.asm = await FileAssembler.open(root, record);
  try {
    job.remote = [0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 19, 20, 21, 22, 23, 30];
    const runs: Array<[number, number, number]> = [];
    while (job.next < job.remote.length) {
      const first = job.remote[job.next]!;
      const run = nextRun(job, 64);
      runs.push([first, run.count, run.bytes]);
      job.next += run.count;
    }
    const kib = 200 * 1024;
    assert.deepEqual(runs, [
      [0, 5, 5 * kib], // RUN_BYTES (1 MiB) holds five 200 KiB chunks
      [5, 3, 3 * kib], // 8 is not to be fetched: the run stops before it
      [9, 2, 2 * kib],
      [19, 1, kib], // chunk 20 crosses the 4 MiB extent edge (4,096,000 to 4,300,800)...
      [20, 1, kib], // ...so it goes alone (it has no place in one extent anyway)...
      [21, 3, 3 * kib], // ...and chunk 21, in the next extent, begins a run of its own
      [30, 1, data.length - 30 * kib],
    ]);
    assert.equal(RUN_BYTES, 1024 * 1024);
    // A link that takes no runs, or a small file fetched whole: one chunk per request.
    job.next = 0;
    assert.deepEqual(nextRun(job, 1), { count: 1, bytes: kib });
    job.next = 0;
    assert.deepEqual(nextRun(job, 3), { count: 3, bytes: 3 * kib });
  } finally {
    await job.asm.abort({ keepTemp: false });
  }
});
