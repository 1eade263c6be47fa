import { rename } from 'node:fs/promises';
import path from 'node:path';
import type { FileRecord } from '../model/record.js';
import { chunkMatches } from './blake.js';
import { finishTemp, type CommitOptions, type LandedStat } from './commit.js';
import { fsyncDir } from './dir-sync.js';
import { fsError } from './errors.js';
import { hashMismatch, layoutOf } from './layout.js';
import { writeFully } from './io.js';
import { resolveInRoot } from './safe-path.js';
import { openTemp, removeQuietly, tempPathFor } from './temp-file.js';
import { writePool } from './write-pool.js';

/**
 * Whether writeSmallFile checks the chunks: `'verified-by-caller'` when the caller has just
 * checked them (the puller checks each chunk as it arrives; hashing a small file twice cost
 * the receiver of 10,000 files ~0.1 s of its engine thread).
 */
export type ChunkCheck = 'verify' | 'verified-by-caller';

/**
 * Fast path for a file that arrived whole (most files of a typical folder are tiny):
 * the same guarantees as FileAssembler - every chunk verified, temp + fsync + rename,
 * old version archived, local changes respected - with one write and no resume scan.
 * A temp that is left over from a failed attempt is removed.
 *
 * The writing happens on a worker thread (write-pool.ts: files batched per message instead
 * of a dozen trips each through libuv's pool, and blocking there instead of here), folder
 * fsync included; only archiving an old version (and that rename's folder fsync) happens here.
 * A lone file while no worker runs is written from this thread (writeHere).
 *
 * `opts` is required on purpose: overwriting without saying whether to archive would be
 * the easiest way to lose a user's file.
 *
 * Every chunk is checked against the record here, unless the caller says it just did.
 */
export async function writeSmallFile(root: string, record: FileRecord, data: Buffer, opts: CommitOptions, checked: ChunkCheck = 'verify'): Promise<LandedStat> {
  if (data.length !== record.size) throw hashMismatch(record.path, 0);
  if (checked === 'verify') {
    const layout = layoutOf(record);
    for (let i = 0; i < record.chunks.length; i++) {
      const c = record.chunks[i]!;
      const start = layout.offsets[i]!;
      if (!chunkMatches(data.subarray(start, start + c.size), c.hash)) throw hashMismatch(record.path, i);
    }
  }
  // A lone file (a worker would have to start first: tens of ms) is written from here; the
  // worker started meanwhile takes the burst that may follow.
  if (!writePool.warm) {
    writePool.warmUp();
    return writeHere(root, record, data, opts);
  }
  const put = await writePool.write({
    root,
    rel: record.path,
    data,
    mtimeMs: record.mtimeMs,
    mode: record.mode,
    expectOld: opts.expectOld,
    archiveOld: opts.archive !== null,
  });
  if (!put.tempAbs) return put.landed; // in place, its folder fsynced
  // The worker stopped before replacing a file that is to be archived first.
  try {
    await opts.archive!(put.targetAbs);
    await rename(put.tempAbs, put.targetAbs);
  } catch (err) {
    await removeQuietly(put.tempAbs).catch(() => {});
    throw fsError(err, put.targetAbs, 'replace');
  }
  try {
    await fsyncDir(path.dirname(put.targetAbs));
  } catch (err) {
    throw fsError(err, path.dirname(put.targetAbs), 'flush');
  }
  return put.landed;
}

/** The same steps on this thread, through libuv's pool (commit.ts finishTemp). */
async function writeHere(root: string, record: FileRecord, data: Buffer, opts: CommitOptions): Promise<LandedStat> {
  const targetAbs = await resolveInRoot(root, record.path, { createParents: true });
  const tempAbs = tempPathFor(targetAbs);
  const { fh } = await openTemp(tempAbs, false);
  try {
    await writeFully(fh, data, 0);
  } catch (err) {
    await fh.close().catch(() => {});
    await removeQuietly(tempAbs).catch(() => {});
    throw fsError(err, targetAbs, 'write');
  }
  try {
    return await finishTemp(fh, tempAbs, targetAbs, record, opts);
  } catch (err) {
    // Nothing worth resuming in a small file; do not leave it taking space.
    await removeQuietly(tempAbs).catch(() => {});
    throw err;
  }
}
