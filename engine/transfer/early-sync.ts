import type { FileHandle } from 'node:fs/promises';

/**
 * Bytes written after which a background datasync starts, through the page cache or with
 * O_DIRECT alike: the final fsync then has little left to do. Measured for a 1 GiB
 * download with O_DIRECT on the dev VM: the final fsync took 0.5-0.6 s without these
 * (the disk flushed the whole file after the last byte), 40-70 ms with them.
 */
export const EARLY_SYNC_BYTES = 64 * 1024 * 1024;

/**
 * Flushes what is written of a big download so far while the rest arrives (one file's
 * FileAssembler owns one). The kernel would otherwise start writeback only at its dirty
 * threshold, and the fsync when the file is complete would write all of it at the end,
 * after the transfer; with O_DIRECT the bytes are written but the disk's own cache (a VM's
 * host page cache) holds them until a flush. (A datasync counts the extents still staged
 * in memory as synced; they are few, and the final fsync covers them.)
 */
export class EarlySync {
  /** Background datasyncs started so far (tests, logs). */
  count = 0;
  /**
   * The first failed datasync's error, for the final fsync's caller: Linux reports a failed
   * writeback to one fsync only, so it must not be lost here.
   */
  error: unknown = null;
  private unsynced = 0;
  private running = false;

  /**
   * `bytes` more went to the file (or to its O_DIRECT extents). Returns the datasync this
   * started, if it is time for one (it never rejects), else null.
   */
  wrote(bytes: number, fh: FileHandle): Promise<void> | null {
    this.unsynced += bytes;
    if (this.unsynced < EARLY_SYNC_BYTES || this.running) return null;
    this.unsynced = 0;
    this.count++;
    this.running = true;
    return fh.datasync().then(
      () => {
        this.running = false;
      },
      (err: unknown) => {
        this.error ??= err;
        this.running = false;
      },
    );
  }
}
