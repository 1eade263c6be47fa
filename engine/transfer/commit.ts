import { lstatSync, type Stats } from 'node:fs';
import { lstat, rename, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { FileRecord } from '../model/record.js';
import { fsyncDir } from './dir-sync.js';
import { LocalChangeError, errnoOf, fsError } from './errors.js';
import { applyMode, setTimes } from './file-meta.js';

/**
 * The last step of every write: make the temp durable, make sure the file we are about
 * to replace is still the one the index knows (else leave it alone), archive it, rename
 * the temp into place, and make the rename durable.
 */

/**
 * Moves the file at `abs` out of the way (to .SyncArchive). Resolving to
 * `{ archived: false }` means it declined (e.g. too big to version): the file is then
 * replaced or deleted without a copy, as the user's settings ask.
 */
export type ArchiveFn = (abs: string) => Promise<{ archived: boolean } | void>;

/**
 * The stat of a file just put in place (taken on its descriptor before the rename, which
 * keeps inode, size and mtime): the index records it, so the watcher's report of our own
 * rename is recognised without reading the file again.
 */
export interface LandedStat {
  size: number;
  /** Integer milliseconds (floor), as the index stores them. */
  mtimeMs: number;
  ino: number;
}

export function landedStat(st: Stats): LandedStat {
  return { size: st.size, mtimeMs: Math.floor(st.mtimeMs), ino: st.ino };
}

/** What the index believes is on disk at the target right now. */
export interface ExpectedFile {
  size: number;
  mtimeMs: number;
}

export interface CommitOptions {
  /** Called with the old target before it is replaced; null = versioning off. */
  archive: ArchiveFn | null;
  /**
   * undefined: replace whatever is there (no check).
   * null: the target must not exist (a new file); a file that appeared meanwhile is kept.
   * {size, mtimeMs}: the target must still be that file. If it is gone, writing is safe.
   */
  expectOld?: ExpectedFile | null;
}

/**
 * lstat the target and refuse (LocalChangeError) if it is not what the caller expects.
 * Returns the current stats (null when nothing is there).
 */
export async function checkTarget(targetAbs: string, expectOld: ExpectedFile | null | undefined): Promise<Stats | null> {
  let st: Stats;
  try {
    st = await lstat(targetAbs);
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return null;
    throw fsError(err, targetAbs, 'inspect');
  }
  return judgeTarget(targetAbs, st, expectOld);
}

/** checkTarget with a synchronous lstat (small-file.ts, on fast storage). */
export function checkTargetSync(targetAbs: string, expectOld: ExpectedFile | null | undefined): Stats | null {
  let st: Stats | undefined;
  try {
    st = lstatSync(targetAbs, { throwIfNoEntry: false });
  } catch (err) {
    throw fsError(err, targetAbs, 'inspect');
  }
  return st ? judgeTarget(targetAbs, st, expectOld) : null;
}

function judgeTarget(targetAbs: string, st: Stats, expectOld: ExpectedFile | null | undefined): Stats {
  if (st.isDirectory()) {
    throw new LocalChangeError(targetAbs, `${targetAbs} is a folder on this device; it was not replaced by the file.`);
  }
  if (expectOld === undefined) return st;
  if (expectOld === null) {
    throw new LocalChangeError(targetAbs, `${targetAbs} was created on this device meanwhile; it was left as it is.`);
  }
  // 1 ms tolerance: the index may have floored or rounded the sub-millisecond stat value.
  const same = st.isFile() && st.size === expectOld.size && Math.abs(st.mtimeMs - expectOld.mtimeMs) < 1;
  if (!same) {
    throw new LocalChangeError(targetAbs, `${targetAbs} was changed on this device meanwhile; it was left as it is.`);
  }
  return st;
}

/**
 * Finish a fully written temp and swap it in. Always closes `fh`.
 *
 * Order: mtime, fsync (data durable), then the target check - as late as possible, right
 * before the swap - then the mode (it depends on the file being replaced), close,
 * archive the old file, rename, fsync the directory. The chmod after the data fsync is
 * still ordered before the rename in the filesystem journal, so the directory fsync
 * makes both durable. Any failure leaves the target untouched.
 */
export async function finishTemp(
  fh: FileHandle,
  tempAbs: string,
  targetAbs: string,
  record: FileRecord,
  opts: CommitOptions,
  tempMode?: number,
): Promise<LandedStat> {
  let old: Stats | null;
  let landed: LandedStat;
  try {
    await setTimes(fh, record.mtimeMs);
    await fh.sync();
    old = await checkTarget(targetAbs, opts.expectOld);
    await applyMode(fh, record.mode, old?.isFile() ? old.mode : null, tempMode);
    landed = landedStat(await fh.stat());
  } catch (err) {
    await fh.close().catch(() => {});
    throw fsError(err, targetAbs, 'write');
  }
  try {
    await fh.close();
  } catch (err) {
    throw fsError(err, targetAbs, 'write'); // NFS reports a failed write-back here
  }
  if (old && opts.archive) await opts.archive(targetAbs);
  try {
    await rename(tempAbs, targetAbs);
  } catch (err) {
    throw fsError(err, targetAbs, 'replace');
  }
  try {
    await fsyncDir(path.dirname(targetAbs));
  } catch (err) {
    throw fsError(err, path.dirname(targetAbs), 'flush');
  }
  return landed;
}
