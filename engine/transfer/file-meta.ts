import { fchmodSync, fstatSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { errnoOf } from './errors.js';

/**
 * Applying a record's mtime and executable bits to the temp file before it is renamed
 * into place. Done through the open handle so the following fsync covers it and no path
 * lookup can be raced; rename keeps both.
 */

/**
 * Seconds for futimes/utimes that land exactly on the integer millisecond. libuv splits
 * the double into seconds + nanoseconds and truncates to microseconds, so 1.123 s could
 * become 1.122999 s and a later `Math.floor(stat.mtimeMs)` would read one ms early.
 * Adding half a microsecond makes the truncation land on the intended value.
 */
export function toUtimeSeconds(ms: number): number {
  return (ms + 0.0005) / 1000;
}

export async function setTimes(fh: FileHandle, mtimeMs: number, nowMs = Date.now()): Promise<void> {
  await fh.utimes(toUtimeSeconds(nowMs), toUtimeSeconds(mtimeMs));
}

/**
 * Only the executable bits travel between systems. The read/write bits stay what this
 * system gave the file (`keepBits`: the old file's bits when it is replaced, else the
 * temp file's umask-derived ones), and an x bit is only granted where that class can
 * read - so a restrictive umask is respected without calling process.umask().
 */
export function modeFor(recordMode: number, keepBits: number): number {
  const rw = keepBits & 0o666;
  const readable = (rw & 0o444) >> 2; // r bit of each class, moved to the x position
  return rw | (recordMode & 0o111 & readable);
}

/**
 * fchmod the temp to the mode the record asks for, skipped on Windows and tolerated on
 * filesystems that cannot store modes (FAT, some SMB mounts).
 * `old`: mode of the file being replaced (its rw bits are kept), if any.
 * `tempMode`: the temp's current mode when known (a reopened leftover; saves an fstat);
 * undefined means a temp this process just created.
 * New files without exec bits (the common case) cost no syscall at all.
 */
export async function applyMode(fh: FileHandle, recordMode: number, old: number | null, tempMode?: number): Promise<void> {
  if (!modeMayChange(recordMode, old, tempMode)) return;
  const current = tempMode ?? (await fh.stat()).mode;
  const want = modeFor(recordMode, old ?? current);
  if ((current & 0o7777) === want) return;
  try {
    await fh.chmod(want);
  } catch (err) {
    if (!chmodUnsupported(err)) throw err;
  }
}

/** applyMode on a descriptor of a temp this process just created, with synchronous calls. */
export function applyModeSync(fd: number, recordMode: number, old: number | null): void {
  if (!modeMayChange(recordMode, old, undefined)) return;
  const current = fstatSync(fd).mode;
  const want = modeFor(recordMode, old ?? current);
  if ((current & 0o7777) === want) return;
  try {
    fchmodSync(fd, want);
  } catch (err) {
    if (!chmodUnsupported(err)) throw err;
  }
}

/** A fresh temp without exec bits already has the umask's rw bits: nothing to do (nor on Windows). */
function modeMayChange(recordMode: number, old: number | null, tempMode: number | undefined): boolean {
  if (process.platform === 'win32') return false;
  return !(old === null && tempMode === undefined && (recordMode & 0o111) === 0);
}

function chmodUnsupported(err: unknown): boolean {
  const code = errnoOf(err);
  return code === 'EPERM' || code === 'ENOTSUP' || code === 'EINVAL' || code === 'EOPNOTSUPP';
}
