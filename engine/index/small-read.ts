import fs, { type Stats } from 'node:fs';
import { ShoalError } from '../errors.js';
import type { ChunkRef } from '../model/chunk-ref.js';
import type { ChunkHasher } from './chunk-hasher.js';

/**
 * Reading and hashing a small file in one go, with blocking calls: the engine's thread does
 * it while the page cache answers (hasher.ts), and the hash worker does it for batches of
 * files it takes over (hash-worker.ts). Both must produce the same result.
 */

/** Files up to this size are read in one read into a small pooled buffer and hashed in one step. */
export const SMALL_FILE = 64 * 1024;

/**
 * Files are opened without following a symlink (where the OS can): the scanner may open a
 * new file straight from its directory listing, and a file replaced by a symlink since must
 * not be read through it (ELOOP: "not a regular file"). O_NONBLOCK (no effect on regular
 * files) so that a FIFO swapped in meanwhile cannot block the open; fstat then tells it is
 * not a regular file.
 */
export const O_READ = fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0) | (fs.constants.O_NONBLOCK ?? 0);

/** The content of one file plus the stat it was read under. */
export interface HashResult {
  chunks: ChunkRef[];
  size: number;
  /** Integer milliseconds (floor), as stored in records and the local index. */
  mtimeMs: number;
  ino: number;
  mode: number;
  /**
   * The file was modified, replaced or resized while it was read: the chunks may mix two
   * versions. The caller must not publish them and should hash the file again later.
   */
  changedDuringHash: boolean;
}

/**
 * Open, fstat, read whole into `buf` (SMALL_FILE bytes), hash with `hasher` (idle; left
 * idle), stat the path again, close. Null when the file is no longer small (the caller
 * takes the general path). Throws a ShoalError (fsError).
 */
export function readSmallSync(absPath: string, buf: Buffer, hasher: ChunkHasher): HashResult | null {
  let fd: number;
  try {
    fd = fs.openSync(absPath, O_READ);
  } catch (err) {
    throw fsError(err, absPath);
  }
  try {
    const before = fs.fstatSync(fd);
    if (!before.isFile()) throw new ShoalError('BAD_PATH', `Not a regular file: ${absPath}`);
    const size = before.size;
    if (size > SMALL_FILE) return null;
    // One read; a short one means it shrank meanwhile (the stat below tells).
    const pos = size > 0 ? fs.readSync(fd, buf, 0, size, 0) : 0;
    hasher.push(buf.subarray(0, pos));
    const chunks = hasher.finish();
    return hashResult(before, fs.statSync(absPath, { throwIfNoEntry: false }) ?? null, chunks, pos, size);
  } catch (err) {
    throw err instanceof ShoalError ? err : fsError(err, absPath);
  } finally {
    try {
      fs.closeSync(fd);
    } catch {
      // nothing useful to do
    }
  }
}

/**
 * The hash of `pos` bytes read from a file stat'ed as `before` (expected `size` bytes) and
 * as `after` once read (null: gone).
 */
export function hashResult(before: Stats, after: Stats | null, chunks: ChunkRef[], pos: number, size: number): HashResult {
  return {
    chunks,
    size: pos,
    mtimeMs: Math.floor(before.mtimeMs),
    ino: before.ino,
    mode: before.mode & 0o7777,
    changedDuringHash: pos !== size || !after || !sameFile(before, after),
  };
}

/** Same inode, size, mtime and ctime (ctime also catches a write that restored the mtime). */
function sameFile(a: Stats, b: Stats): boolean {
  return a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;
}

/** ENOENT becomes BAD_PATH (the scanner treats it as "gone"); the rest IO_ERROR. */
export function fsError(err: unknown, p: string): ShoalError {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new ShoalError('BAD_PATH', `File vanished: ${p}`, { cause: err });
  if (code === 'EACCES' || code === 'EPERM') return new ShoalError('IO_ERROR', `Permission denied: ${p}`, { cause: err });
  // ELOOP: opened with O_NOFOLLOW and it is (now) a symlink, which is never followed.
  if (code === 'EISDIR' || code === 'ELOOP') return new ShoalError('BAD_PATH', `Not a regular file: ${p}`, { cause: err });
  return new ShoalError('IO_ERROR', `Cannot read ${p}: ${code ?? String(err)}`, { cause: err });
}
