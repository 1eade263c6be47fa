import fs, { promises as fsp, type Stats } from 'node:fs';
import { promisify } from 'node:util';
import type { FileHandle } from 'node:fs/promises';
import { ShoalError } from '../errors.js';
import { type ChunkRef } from '../model/record.js';
import { chunkHash, chunkHashEquals as hashEquals } from './chunk-hash.js';
import { ChunkHasher } from './chunk-hasher.js';
import { PARTIAL_EVERY, PartialChunks, WORKER_MIN_SIZE, hashWorker } from './hash-pool.js';
import { O_READ, SMALL_FILE, fsError, hashResult, readSmallSync, type HashResult } from './small-read.js';

export { SMALL_FILE, fsError, type HashResult };
import { syncIo } from '../util/sync-io.js';
import { Limiter } from './limit.js';
import { READ_SIZE, acquireReadBuffer, dropIdleReadBuffers, releaseReadBuffer } from './read-buffers.js';

export interface HashOptions {
  /** Stop early (folder removed, shutdown): the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Called after each read buffer is hashed with the bytes done so far (progress for big files). */
  onProgress?: (bytesDone: number) => void;
  /**
   * A big file's chunks as they complete (at least every PARTIAL_EVERY bytes), cumulative,
   * with the stat the file was opened under: lets the folder offer them to peers before
   * the whole file is hashed. Not called for files hashed in one step.
   */
  onPartial?: (chunks: readonly ChunkRef[], bytes: number, stat: Stats) => void;
  /**
   * The size a recent stat gave (the scanner's lstat): a small file is then hashed under
   * the small-file limit (hasher.ts), which allows more at once.
   */
  sizeHint?: number;
}

/**
 * Files hashed at once in the whole process, whoever asks (full scans, watcher events):
 * bounds read-buffer memory (each hash holds at most 2 x READ_SIZE) and CPU. A few more
 * than the 2 cores, so small files' open/stat/close round trips overlap.
 */
export const MAX_PARALLEL_HASHES = 4;
const slots = new Limiter(MAX_PARALLEL_HASHES);
/**
 * Small files (up to SMALL_FILE) are read in one go into a small pooled buffer (not a 2 MiB
 * read buffer). Their cost is five round trips to libuv's pool (open, fstat, read, stat,
 * close) more than CPU, so more of them run at once, under their own limit: a big file's
 * hash never holds them up.
 */
export const MAX_PARALLEL_SMALL = 16;
const smallSlots = new Limiter(MAX_PARALLEL_SMALL);
const smallIdle: Buffer[] = [];
const openFd = promisify(fs.open);
const fstatFd = promisify(fs.fstat);
const readFd = (fd: number, buf: Buffer, len: number): Promise<number> =>
  new Promise((resolve, reject) => fs.read(fd, buf, 0, len, 0, (err, n) => (err ? reject(err) : resolve(n))));
const closeFd = promisify(fs.close);
const statPath = promisify(fs.stat);

/** Let the idle read buffers go (reclaim.ts, after a big scan). */
export function dropIdleBuffers(): void {
  smallIdle.length = 0;
  dropIdleReadBuffers();
}

/** Shared: a small file is hashed in one synchronous push + finish, never interleaved. */
const smallHasher = new ChunkHasher();

/**
 * Chunk and hash a file. A big file goes to the hash worker when it is free (hash-pool.ts),
 * so it uses the other core; the rest is hashed on this thread. Small files are read in one
 * read (hashSmall); others in large, double-buffered reads: the next read is already
 * running on libuv's pool while the current buffer is cut and hashed.
 */
export function hashFile(absPath: string, opts: HashOptions = {}): Promise<HashResult> {
  if (opts.sizeHint !== undefined && opts.sizeHint <= SMALL_FILE) {
    const now = performance.now();
    if (syncIo.allowed) {
      if (now - sliceStart > (hashWorker.hasSmallFiles ? SHARED_SLICE_MS : SYNC_SLICE_MS)) {
        // Let I/O callbacks (API, peers) run between runs of synchronous hashes.
        sliceStart = now;
        return new Promise<void>((resolve) => setImmediate(resolve)).then(() => hashFile(absPath, opts));
      }
      // The hash worker, while running, takes batches of small files too (both cores work).
      if (hashWorker.takesSmallFiles) {
        return hashWorker.hashSmall(absPath, opts.signal).then((r) => {
          if (!r) return slots.run(() => hashNow(absPath, opts));
          opts.onProgress?.(r.size);
          return r;
        });
      }
      let r: HashResult | null;
      try {
        r = hashSmallSync(absPath, opts);
      } catch (err) {
        return Promise.reject(err);
      }
      return r ? Promise.resolve(r) : slots.run(() => hashNow(absPath, opts));
    }
    return smallSlots.run(() => hashSmall(absPath, opts)).then((r) => r ?? slots.run(() => hashNow(absPath, opts)));
  }
  return slots.run(() => hashNow(absPath, opts));
}

/**
 * A small file read and hashed with synchronous calls, while they are fast (page cache, local
 * disk): five system calls of a few microseconds each instead of five trips through libuv's
 * pool, which cost ~10 us of this thread each plus two thread switches (measured: a scan of
 * 10,000 new 1-16 KiB files 2.3x faster, with a third of the CPU). When such hashes turn
 * slow (the disk has to seek, a network file system), small files go through the
 * asynchronous path for a while (util/sync-io.ts), so this thread is not held up by them.
 */
/** Synchronous hashes run back to back for at most about this long before yielding. */
const SYNC_SLICE_MS = 10;
/**
 * Shorter while the hash worker has small files of ours: its answers are only read between
 * these runs, and it should not sit idle with its next batch waiting for the reply to go out.
 */
const SHARED_SLICE_MS = 2;
let sliceStart = 0;

function hashSmallSync(absPath: string, opts: HashOptions): HashResult | null {
  opts.signal?.throwIfAborted();
  const t0 = performance.now();
  const buf = smallIdle.pop() ?? Buffer.allocUnsafeSlow(SMALL_FILE);
  try {
    const r = readSmallSync(absPath, buf, smallHasher);
    if (r) opts.onProgress?.(r.size);
    return r;
  } finally {
    smallIdle.push(buf);
    syncIo.took(t0);
  }
}

/**
 * A small file: one read into a pooled buffer, one synchronous hash; null if it is no longer
 * small. Plain descriptors and callback calls instead of FileHandle and fs/promises: those
 * hold native objects freed only by the GC, and 10,000 of them left the C heap fragmented
 * (RSS) after a scan.
 */
async function hashSmall(absPath: string, opts: HashOptions): Promise<HashResult | null> {
  const { signal } = opts;
  signal?.throwIfAborted();
  let fd: number;
  try {
    fd = await openFd(absPath, O_READ);
  } catch (err) {
    throw fsError(err, absPath);
  }
  let buf: Buffer | undefined;
  try {
    const before = await fstatFd(fd);
    if (!before.isFile()) throw new ShoalError('BAD_PATH', `Not a regular file: ${absPath}`);
    const size = before.size;
    if (size > SMALL_FILE) return null; // grew since the caller's stat: the general path
    buf = smallIdle.pop() ?? Buffer.allocUnsafeSlow(SMALL_FILE);
    // One read; a short one means it shrank meanwhile (the stat below tells).
    const pos = size > 0 ? await readFd(fd, buf, size) : 0;
    signal?.throwIfAborted();
    smallHasher.push(buf.subarray(0, pos));
    const chunks = smallHasher.finish();
    opts.onProgress?.(pos);
    return resultOf(absPath, before, chunks, pos, size);
  } catch (err) {
    throw err instanceof ShoalError || signal?.aborted ? err : fsError(err, absPath);
  } finally {
    await closeFd(fd).catch(() => undefined);
    if (buf) smallIdle.push(buf); // at most MAX_PARALLEL_SMALL of them exist
  }
}

/** The general path: large double-buffered reads, the big ones hashed by the worker. */
async function hashNow(absPath: string, opts: HashOptions): Promise<HashResult> {
  const { signal } = opts;
  signal?.throwIfAborted();
  let fh: FileHandle;
  try {
    fh = await fsp.open(absPath, O_READ);
  } catch (err) {
    throw fsError(err, absPath);
  }
  const bufs: Buffer[] = [];
  let pending: Promise<{ bytesRead: number }> | undefined;
  try {
    const before = await fh.stat();
    if (!before.isFile()) throw new ShoalError('BAD_PATH', `Not a regular file: ${absPath}`);
    const size = before.size;
    let pos = 0;
    let chunks: ChunkRef[];
    const onPartial = opts.onPartial;
    const partials = onPartial && size > PARTIAL_EVERY ? new PartialChunks((c, bytes) => onPartial(c, bytes, before)) : undefined;
    if (size >= WORKER_MIN_SIZE && !hashWorker.busy) {
      const r = await hashWorker.hash(fh.fd, size, opts.onProgress, signal, partials);
      signal?.throwIfAborted();
      ({ chunks, bytesRead: pos } = r);
    } else {
      const hasher = new ChunkHasher();
      // Read only up to the size seen at open: growth shows up in the stat afterwards.
      const readAt = (k: number, pos: number): Promise<{ bytesRead: number }> => {
        bufs[k] ??= acquireReadBuffer();
        return fh.read(bufs[k]!, 0, Math.min(READ_SIZE, size - pos), pos);
      };
      let k = 0;
      let reported = 0;
      let reportedAt = 0;
      if (size > 0) pending = readAt(0, 0);
      while (pending) {
        const { bytesRead } = await pending;
        pending = undefined;
        if (bytesRead === 0) break; // shrank while reading: the stat below tells
        const cur = bufs[k]!;
        pos += bytesRead;
        k ^= 1;
        if (pos < size) pending = readAt(k, pos); // start the next read before hashing this one
        signal?.throwIfAborted();
        hasher.push(cur.subarray(0, bytesRead));
        opts.onProgress?.(pos);
        if (partials && pos - reportedAt >= PARTIAL_EVERY && hasher.completed > reported) {
          const { hashes, sizes } = hasher.completedSince(reported);
          partials.add(hashes, sizes);
          reported = hasher.completed;
          reportedAt = pos;
        }
      }
      chunks = hasher.finish();
    }
    return resultOf(absPath, before, chunks, pos, size);
  } catch (err) {
    throw err instanceof ShoalError || signal?.aborted ? err : fsError(err, absPath);
  } finally {
    // A read may still be in flight if hashing threw: let it land before the buffers go back.
    if (pending) await pending.catch(() => undefined);
    await fh.close().catch(() => undefined);
    for (const b of bufs) releaseReadBuffer(b);
  }
}

async function statOrNull(p: string): Promise<Stats | null> {
  try {
    return await statPath(p);
  } catch {
    return null;
  }
}

/** The chunk hash (chunk-hash.ts) of a buffer (a new 32-byte Buffer). */
export function hashBuffer(buf: Uint8Array): Buffer {
  return chunkHash(buf);
}

/** Does `buf` hash to `expected`? For verifying received chunks. */
export function chunkHashEquals(buf: Uint8Array, expected: Uint8Array): boolean {
  return hashEquals(buf, expected);
}

/** The hash of `pos` bytes read from a file stat'ed as `before` (expected `size`). */
async function resultOf(absPath: string, before: Stats, chunks: ChunkRef[], pos: number, size: number): Promise<HashResult> {
  return hashResult(before, await statOrNull(absPath), chunks, pos, size);
}
