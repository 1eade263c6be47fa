import { closeSync, fstatSync, fsyncSync, futimesSync, openSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';
import { ShoalError } from '../errors.js';
import { checkTargetSync, landedStat, type ExpectedFile, type LandedStat } from './commit.js';
import { fsyncDirSync } from './dir-sync.js';
import { LocalChangeError, fsError } from './errors.js';
import { BatchSync } from './batch-sync.js';
import { applyModeSync, toUtimeSeconds } from './file-meta.js';
import { resolveInRootSync, type CheckedDirs } from './safe-path.js';
import { openFreshTempSync, removeQuietlySync, tempPathFor } from './temp-file.js';

/**
 * Writing one whole, already verified file into place with blocking calls, for a thread
 * that may block (write-worker.ts): the steps of commit.ts finishTemp, in its order -
 * temp, write, mtime, fsync, check the target is still what the index knows, mode, close,
 * rename. Archiving the file being replaced needs the engine's archive (main thread): then
 * the complete, fsynced temp is left for the caller to rename after archiving (and to fsync
 * its folder). putBatchSync puts a batch of files in place and then fsyncs each folder it
 * renamed into once, which makes those renames durable.
 */
export interface PutJob {
  root: string;
  /** Wire path (validated again here). */
  rel: string;
  data: Uint8Array;
  mtimeMs: number;
  mode: number;
  /** See CommitOptions.expectOld. */
  expectOld: ExpectedFile | null | undefined;
  /** An existing target is to be archived first: stop before the rename. */
  archiveOld: boolean;
}

export interface PutResult {
  landed: LandedStat;
  targetAbs: string;
  /** Set when the target must be archived, then `tempAbs` renamed onto it by the caller. */
  tempAbs: string | null;
}

/** A file whose temp is written (not yet durable): the batch's middle step. */
interface Staged {
  job: PutJob;
  targetAbs: string;
  tempAbs: string;
  fd: number;
}

/** Resolve the target, write the whole file to a fresh temp beside it, set its mtime. */
function stageSync(job: PutJob, checkedDirs?: CheckedDirs): Staged {
  const targetAbs = resolveInRootSync(job.root, job.rel, { createParents: true, checkedDirs });
  const tempAbs = tempPathFor(targetAbs);
  const fd = openFreshTempSync(tempAbs);
  const staged = { job, targetAbs, tempAbs, fd };
  try {
    const data = job.data;
    for (let done = 0; done < data.length; ) done += writeSync(fd, data, done, data.length - done, done);
    futimesSync(fd, toUtimeSeconds(Date.now()), toUtimeSeconds(job.mtimeMs));
  } catch (err) {
    throw dropStaged(staged, err);
  }
  return staged;
}

/**
 * The temp is durable: check the target is still what the index knows, set the mode, close,
 * and rename it into place (or leave it for the caller, who archives the old file first).
 */
function landSync(s: Staged): PutResult {
  let fd: number | null = s.fd;
  try {
    const old = checkTargetSync(s.targetAbs, s.job.expectOld);
    applyModeSync(fd, s.job.mode, old?.isFile() ? old.mode : null);
    const landed = landedStat(fstatSync(fd));
    const closing = fd;
    fd = null;
    closeSync(closing); // NFS reports a failed write-back here
    if (old && s.job.archiveOld) return { landed, targetAbs: s.targetAbs, tempAbs: s.tempAbs };
    try {
      renameSync(s.tempAbs, s.targetAbs);
    } catch (err) {
      throw fsError(err, s.targetAbs, 'replace');
    }
    return { landed, targetAbs: s.targetAbs, tempAbs: null };
  } catch (err) {
    throw dropStaged({ ...s, fd }, err);
  }
}

/** Close and remove a temp that will not land; returns the error to report for it. */
function dropStaged(s: { targetAbs: string; tempAbs: string; fd: number | null }, err: unknown): Error {
  if (s.fd !== null) {
    try {
      closeSync(s.fd);
    } catch {
      // the error being reported matters more
    }
  }
  try {
    removeQuietlySync(s.tempAbs);
  } catch {
    // as above
  }
  return fsError(err, s.targetAbs, 'write');
}

export type PutOutcome = { result: PutResult } | { error: PutError };

/** How a batch is made durable; one per thread (write-worker.ts), tests pass their own. */
const defaultBatchSync = new BatchSync();

/**
 * Put each file in place, then fsync once each folder a file was renamed into: a file's
 * outcome is only a result once its rename is durable. The temps are all written first and
 * then made durable together - with one syncfs where batch-sync.ts finds that safe and
 * cheap, else one fsync each - before any is renamed. Parent folders are checked once per
 * batch (safe-path.ts CheckedDirs).
 */
export function putBatchSync(jobs: readonly PutJob[], batchSync: BatchSync = defaultBatchSync): PutOutcome[] {
  const checkedDirs: CheckedDirs = new Set();
  const out: PutOutcome[] = new Array(jobs.length);
  const staged: Array<Staged | null> = jobs.map((job, i) => {
    try {
      return stageSync(job, checkedDirs);
    } catch (err) {
      out[i] = { error: toPutError(err) };
      return null;
    }
  });
  makeDurable(staged, out, batchSync);
  staged.forEach((s, i) => {
    if (!s) return;
    try {
      out[i] = { result: landSync(s) };
    } catch (err) {
      out[i] = { error: toPutError(err) };
    }
  });
  const dirs = new Map<string, number[]>();
  out.forEach((o, i) => {
    if (!('result' in o) || o.result.tempAbs) return;
    const dir = path.dirname(o.result.targetAbs);
    const files = dirs.get(dir);
    if (files) files.push(i);
    else dirs.set(dir, [i]);
  });
  syncFolders(dirs, out, jobs, batchSync);
  return out;
}

/**
 * Make the renames durable: fsync each folder, or, for several folders, flush them in one
 * syncfs like the temps. A folder that fails fails the files renamed into it.
 */
function syncFolders(dirs: Map<string, number[]>, out: PutOutcome[], jobs: readonly PutJob[], batchSync: BatchSync): void {
  const root = oneRoot([...dirs.values()].map((which) => jobs[which[0]!]!.root));
  if (dirs.size >= 2 && root !== null && batchSync.worthIt(dirs.size, root)) {
    const first = dirs.keys().next().value as string;
    try {
      withDirFd(first, (fd) => batchSync.flush(fd));
      return;
    } catch (err) {
      const error = toPutError(fsError(err, first, 'flush'));
      for (const which of dirs.values()) for (const i of which) out[i] = { error };
      return;
    }
  }
  for (const [dir, which] of dirs) {
    try {
      fsyncDirSync(dir);
    } catch (err) {
      const error = toPutError(fsError(err, dir, 'flush'));
      for (const i of which) out[i] = { error };
    }
  }
}

/** The one folder root all of `roots` are, or null (none, or several: several file systems, maybe). */
function oneRoot(roots: readonly string[]): string | null {
  if (roots.length === 0) return null;
  return roots.every((r) => r === roots[0]) ? roots[0]! : null;
}

function withDirFd(dir: string, use: (fd: number) => void): void {
  const fd = openSync(dir, 'r');
  try {
    use(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * fsync each staged temp, or flush them all at once; a temp that could not be made durable
 * is dropped (staged[i] = null) with its error in out[i]. A failed batch flush fails every
 * file of the batch: which of them the error hit cannot be told.
 */
function makeDurable(staged: Array<Staged | null>, out: PutOutcome[], batchSync: BatchSync): void {
  const live = staged.filter((s): s is Staged => s !== null);
  const root = oneRoot(live.map((s) => s.job.root));
  if (root !== null && batchSync.worthIt(live.length, root)) {
    try {
      batchSync.flush(live[0]!.fd);
      return;
    } catch (err) {
      staged.forEach((s, i) => {
        if (s) out[i] = { error: toPutError(dropStaged(s, err)) };
        staged[i] = null;
      });
      return;
    }
  }
  staged.forEach((s, i) => {
    if (!s) return;
    try {
      fsyncSync(s.fd);
    } catch (err) {
      out[i] = { error: toPutError(dropStaged(s, err)) };
      staged[i] = null;
    }
  });
}

/** An error as it crosses from the worker: code, message, and what LocalChangeError adds. */
export interface PutError {
  code: string;
  message: string;
  localChangePath?: string;
}

export function toPutError(err: unknown): PutError {
  if (err instanceof LocalChangeError) return { code: err.code, message: err.message, localChangePath: err.path };
  if (err instanceof ShoalError) return { code: err.code, message: err.message };
  return { code: 'INTERNAL', message: String((err as Error)?.message ?? err) };
}

export function fromPutError(e: PutError): ShoalError {
  if (e.localChangePath !== undefined) return new LocalChangeError(e.localChangePath, e.message);
  return new ShoalError(e.code as ShoalError['code'], e.message);
}
