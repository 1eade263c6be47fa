import { readFileSync } from 'node:fs';
import os from 'node:os';
import { nativeModule } from '../util/native-module.js';

/**
 * Making a batch of small downloaded files durable with one flush of their file system
 * (syncfs) instead of one fsync each (put-in-place.ts putBatchSync).
 *
 * Why: every fsync is a round of disk I/O of its own - the file's data, its inode, a cache
 * flush - and on a virtual machine each of those I/Os costs an exit to the hypervisor.
 * Receiving 10,000 small files made ~30,000 of them: measured on the 2-core dev VM, the
 * write threads then spent ~1 CPU-s just submitting I/O and taking its interrupts. One
 * syncfs per batch of 16 files writes the same data and inodes together, merged, with one
 * cache flush, and gives the same guarantee: once it returns, every file of the batch is
 * on the disk, before any of them is renamed into place.
 *
 * It is used only where that guarantee holds and the cost stays bounded:
 * - Linux with the native module (engine/native/syncfs.c), on kernel 5.8 or later: older
 *   kernels' syncfs does not report write-back errors, and fsync does;
 * - at least two files (for one, fsync is the same work);
 * - little else waiting to be written on the machine (Dirty + Writeback in /proc/meminfo
 *   under DIRTY_LIMIT): syncfs writes out everything on the file system, so while another
 *   program has a large copy under way, a batch would wait for it; fsync does not.
 * Otherwise the files are fsynced one by one, as everywhere else.
 */
export const DIRTY_LIMIT = 32 * 1024 * 1024;
const MIN_FILES = 2;

type SyncFs = (fd: number) => number;

/** "6.18.44-fc-v1272" -> true for 5.8 and later. */
export function kernelReportsSyncfsErrors(release: string): boolean {
  const m = /^(\d+)\.(\d+)/.exec(release);
  if (!m) return false;
  const major = Number(m[1]);
  const minor = Number(m[2]);
  return major > 5 || (major === 5 && minor >= 8);
}

/** Dirty + Writeback bytes from the text of /proc/meminfo, or null if it does not say. */
export function pendingWriteBytes(meminfo: string): number | null {
  const dirty = /^Dirty:\s+(\d+) kB$/m.exec(meminfo);
  const writeback = /^Writeback:\s+(\d+) kB$/m.exec(meminfo);
  if (!dirty || !writeback) return null;
  return (Number(dirty[1]) + Number(writeback[1])) * 1024;
}

function readMeminfo(): string {
  try {
    return readFileSync('/proc/meminfo', 'utf8');
  } catch {
    return '';
  }
}

export interface BatchSyncDeps {
  syncfs: SyncFs | null;
  kernelRelease: string;
  meminfo: () => string;
}

const realDeps = (): BatchSyncDeps => ({
  syncfs: process.platform === 'linux' && typeof nativeModule?.syncfs === 'function' ? nativeModule.syncfs : null,
  kernelRelease: os.release(),
  meminfo: readMeminfo,
});

/** Flushes batches with syncfs where that is safe and cheap (see above). */
export class BatchSync {
  private readonly syncfs: SyncFs | null;
  private readonly meminfo: () => string;

  constructor(deps: BatchSyncDeps = realDeps()) {
    this.syncfs = deps.syncfs && kernelReportsSyncfsErrors(deps.kernelRelease) ? deps.syncfs : null;
    this.meminfo = deps.meminfo;
  }

  /** Whether this machine can flush batches at all (tests, logs). */
  get available(): boolean {
    return this.syncfs !== null;
  }

  /** Should a batch of `files` files be flushed with one syncfs right now? */
  worthIt(files: number): boolean {
    if (!this.syncfs || files < MIN_FILES) return false;
    const pending = pendingWriteBytes(this.meminfo());
    return pending !== null && pending < DIRTY_LIMIT;
  }

  /**
   * Flush the file system that holds `fd` (one of the batch's files, opened before it was
   * written, so that a write-back error since then is reported). Throws an errno error.
   */
  flush(fd: number): void {
    if (!this.syncfs) throw new Error('BatchSync.flush: syncfs is not available here');
    const errno = this.syncfs(fd);
    if (errno !== 0) throw errnoError(errno, 'syncfs');
  }
}

/** An Error shaped like Node's own for a failed system call (code 'EIO', errno 5, ...). */
function errnoError(errno: number, syscall: string): NodeJS.ErrnoException {
  const code = Object.entries(os.constants.errno).find(([, n]) => n === errno)?.[0] ?? `E${errno}`;
  return Object.assign(new Error(`${code}: ${syscall} failed`), { code, errno: -errno, syscall });
}
