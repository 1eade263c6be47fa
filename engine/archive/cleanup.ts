import { lstat, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { ShoalError } from '../errors.js';
import { ARCHIVE_DIR } from '../model/paths.js';
import { errnoOf, fsError } from '../transfer/errors.js';
import { removeQuietly } from '../transfer/temp-file.js';
import { walkNoFollow } from '../transfer/walk.js';

export interface CleanupResult {
  /** Root-relative '/' paths of the expired files removed. */
  removedFiles: string[];
  removedDirs: string[];
  keptFiles: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Remove archived files whose mtime (= archive time, set by archiveFile) is more than
 * `ttlDays` before `nowMs`, then the directories that became empty. `.SyncArchive`
 * itself stays. ttlDays <= 0 means "keep forever": losing old versions must be asked for.
 */
export async function cleanupArchive(root: string, ttlDays: number, nowMs = Date.now()): Promise<CleanupResult> {
  const result: CleanupResult = { removedFiles: [], removedDirs: [], keptFiles: 0 };
  if (!(ttlDays > 0) || !Number.isFinite(ttlDays)) return result;
  const rootAbs = path.resolve(root);
  const archiveAbs = path.join(rootAbs, ARCHIVE_DIR);
  try {
    const st = await lstat(archiveAbs);
    if (st.isSymbolicLink()) throw new ShoalError('BAD_PATH', `${archiveAbs} is a symbolic link; not cleaning it.`);
    if (!st.isDirectory()) return result;
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return result;
    throw fsError(err, archiveAbs, 'inspect');
  }
  const cutoff = nowMs - ttlDays * DAY_MS;
  const rel = (abs: string) => path.relative(rootAbs, abs).split(path.sep).join('/');
  await walkNoFollow(archiveAbs, {
    onFile: async (abs) => {
      let mtime: number;
      try {
        mtime = (await lstat(abs)).mtimeMs;
      } catch (err) {
        if (errnoOf(err) === 'ENOENT') return;
        throw fsError(err, abs, 'inspect');
      }
      if (mtime >= cutoff) {
        result.keptFiles++;
        return;
      }
      await removeQuietly(abs);
      result.removedFiles.push(rel(abs));
    },
    onDirDone: async (abs) => {
      try {
        await rmdir(abs);
        result.removedDirs.push(rel(abs));
      } catch (err) {
        const code = errnoOf(err);
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'ENOENT') throw fsError(err, abs, 'remove');
      }
    },
  });
  return result;
}
