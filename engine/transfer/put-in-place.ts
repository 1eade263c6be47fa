import { closeSync, fstatSync, fsyncSync, futimesSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';
import { ShoalError } from '../errors.js';
import { checkTargetSync, landedStat, type ExpectedFile, type LandedStat } from './commit.js';
import { fsyncDirSync } from './dir-sync.js';
import { LocalChangeError, fsError } from './errors.js';
import { applyModeSync, toUtimeSeconds } from './file-meta.js';
import { resolveInRootSync, type CheckedDirs } from './safe-path.js';
import { openFreshTempSync, removeQuietlySync, tempPathFor } from './temp-file.js';

/**
 * Writing one whole, already verified file into place with blocking calls, for a thread
 * that may block (write-worker.ts): the steps of commit.ts finishTemp, in its order -
 * temp, write, mtime, fsync, check the target is still what the index knows, mode, close,
 * rename. Archiving the file being replaced needs the engine's archive (main thread): then
 * the complete, fsynced temp is left for the caller to rename after archiving (and to fsync
 * its folder). putBatchSync puts several files in place and then fsyncs each folder it
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

export function putInPlaceSync(job: PutJob, checkedDirs?: CheckedDirs): PutResult {
  const targetAbs = resolveInRootSync(job.root, job.rel, { createParents: true, checkedDirs });
  const tempAbs = tempPathFor(targetAbs);
  let fd: number | null = openFreshTempSync(tempAbs);
  try {
    const data = job.data;
    for (let done = 0; done < data.length; ) done += writeSync(fd, data, done, data.length - done, done);
    futimesSync(fd, toUtimeSeconds(Date.now()), toUtimeSeconds(job.mtimeMs));
    fsyncSync(fd);
    const old = checkTargetSync(targetAbs, job.expectOld);
    applyModeSync(fd, job.mode, old?.isFile() ? old.mode : null);
    const landed = landedStat(fstatSync(fd));
    const closing = fd;
    fd = null;
    closeSync(closing); // NFS reports a failed write-back here
    if (old && job.archiveOld) return { landed, targetAbs, tempAbs };
    try {
      renameSync(tempAbs, targetAbs);
    } catch (err) {
      throw fsError(err, targetAbs, 'replace');
    }
    return { landed, targetAbs, tempAbs: null };
  } catch (err) {
    if (fd !== null) {
      try {
        closeSync(fd);
      } catch {
        // the error being reported matters more
      }
    }
    try {
      removeQuietlySync(tempAbs);
    } catch {
      // as above
    }
    throw fsError(err, targetAbs, 'write');
  }
}

export type PutOutcome = { result: PutResult } | { error: PutError };

/**
 * Put each file in place (putInPlaceSync), then fsync once each folder a file was renamed
 * into: a file's outcome is only a result once its rename is durable. Parent folders are
 * checked once per batch (safe-path.ts CheckedDirs).
 */
export function putBatchSync(jobs: readonly PutJob[]): PutOutcome[] {
  const checkedDirs: CheckedDirs = new Set();
  const out: PutOutcome[] = jobs.map((job) => {
    try {
      return { result: putInPlaceSync(job, checkedDirs) };
    } catch (err) {
      return { error: toPutError(err) };
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
  for (const [dir, which] of dirs) {
    try {
      fsyncDirSync(dir);
    } catch (err) {
      const error = toPutError(fsError(err, dir, 'flush'));
      for (const i of which) out[i] = { error };
    }
  }
  return out;
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
