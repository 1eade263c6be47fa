import { readFileSync, statfsSync } from 'node:fs';
import os from 'node:os';
import { getSystemErrorName } from 'node:util';
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
 * - on the local file systems whose syncfs writes everything fsync would (SYNCFS_LIKE_FSYNC:
 *   ext4, XFS, Btrfs, F2FS, ZFS, tmpfs). Not FUSE (NTFS and exFAT drives, sshfs): there a
 *   syncfs does not ask the file system's daemon to flush, an fsync does; nor network file
 *   systems, nor anything not on the list;
 * - all files of the batch in one folder tree (one syncfs covers one file system);
 * - at least two files (for one, fsync is the same work);
 * - little else waiting to be written on the machine (Dirty + Writeback in /proc/meminfo
 *   under DIRTY_LIMIT): syncfs writes out everything on the file system, so while another
 *   program has a large copy under way, a batch would wait for it; fsync does not.
 * Otherwise the files are fsynced one by one, as everywhere else.
 */
export const DIRTY_LIMIT = 32 * 1024 * 1024;
const MIN_FILES = 2;

/** statfs f_type of the file systems where syncfs is as good as an fsync of each file. */
export const SYNCFS_LIKE_FSYNC: ReadonlyMap<number, string> = new Map([
  [0xef53, 'ext2/3/4'],
  [0x58465342, 'xfs'],
  [0x9123683e, 'btrfs'],
  [0xf2f52010, 'f2fs'],
  [0x2fc12fc1, 'zfs'],
  [0x01021994, 'tmpfs'],
]);

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
  /** statfs f_type of the file system holding `dir` (throws if it cannot tell). */
  fsType: (dir: string) => number;
}

const realDeps = (): BatchSyncDeps => ({
  syncfs: process.platform === 'linux' && typeof nativeModule?.syncfs === 'function' ? nativeModule.syncfs : null,
  kernelRelease: os.release(),
  meminfo: readMeminfo,
  fsType: (dir) => statfsSync(dir).type,
});

/** Folder roots whose file system was looked at, at most this many remembered. */
const MAX_ROOTS = 64;

/** Flushes batches with syncfs where that is safe and cheap (see above). */
export class BatchSync {
  private readonly syncfs: SyncFs | null;
  private readonly meminfo: () => string;
  private readonly fsType: (dir: string) => number;
  /** Folder root -> whether its file system is on SYNCFS_LIKE_FSYNC. */
  private readonly roots = new Map<string, boolean>();

  constructor(deps: BatchSyncDeps = realDeps()) {
    this.syncfs = deps.syncfs && kernelReportsSyncfsErrors(deps.kernelRelease) ? deps.syncfs : null;
    this.meminfo = deps.meminfo;
    this.fsType = deps.fsType;
  }

  /** Whether this machine can flush batches at all (tests, logs). */
  get available(): boolean {
    return this.syncfs !== null;
  }

  /**
   * Should `files` files, all inside the folder `root` (its folder tree is on one file
   * system: the engine never follows links out of it), be flushed with one syncfs now?
   */
  worthIt(files: number, root: string): boolean {
    if (!this.syncfs || files < MIN_FILES || !this.syncfsLikeFsync(root)) return false;
    const pending = pendingWriteBytes(this.meminfo());
    return pending !== null && pending < DIRTY_LIMIT;
  }

  private syncfsLikeFsync(root: string): boolean {
    let ok = this.roots.get(root);
    if (ok === undefined) {
      try {
        ok = SYNCFS_LIKE_FSYNC.has(this.fsType(root));
      } catch {
        ok = false;
      }
      if (this.roots.size >= MAX_ROOTS) this.roots.clear();
      this.roots.set(root, ok);
    }
    return ok;
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
  const code = getSystemErrorName(-errno);
  return Object.assign(new Error(`${code}: ${syscall} failed`), { code, errno: -errno, syscall });
}
