import { promises as fsp, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { ShoalError } from '../errors.js';
import { HASH_BYTES, type ChunkRef } from '../model/record.js';
import { blake2b256Into } from './blake2b.js';
import { ChunkHasher } from './chunk-hasher.js';
import { Limiter } from './limit.js';
import { READ_SIZE, acquireReadBuffer, releaseReadBuffer } from './read-buffers.js';

export interface HashOptions {
  /** Stop early (folder removed, shutdown): the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Called after each read buffer is hashed with the bytes done so far (progress for big files). */
  onProgress?: (bytesDone: number) => void;
}

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
 * Files hashed at once in the whole process, whoever asks (full scans, watcher events):
 * bounds read-buffer memory (each hash holds at most 2 x READ_SIZE) and CPU. A few more
 * than the 2 cores, so small files' open/stat/close round trips overlap.
 */
export const MAX_PARALLEL_HASHES = 4;
const slots = new Limiter(MAX_PARALLEL_HASHES);

/**
 * Chunk and hash a file on this thread. Reads are large and double buffered: the next
 * read is already running on libuv's pool while this thread cuts and hashes the current
 * buffer, so disk/page-cache copies overlap with CPU work.
 */
export function hashFile(absPath: string, opts: HashOptions = {}): Promise<HashResult> {
  return slots.run(() => hashNow(absPath, opts));
}

async function hashNow(absPath: string, opts: HashOptions): Promise<HashResult> {
  const { signal } = opts;
  signal?.throwIfAborted();
  let fh: FileHandle;
  try {
    fh = await fsp.open(absPath, 'r');
  } catch (err) {
    throw fsError(err, absPath);
  }
  const hasher = new ChunkHasher();
  const bufs: Buffer[] = [];
  let pending: Promise<{ bytesRead: number }> | undefined;
  try {
    const before = await fh.stat();
    if (!before.isFile()) throw new ShoalError('BAD_PATH', `Not a regular file: ${absPath}`);
    const size = before.size;
    // Read only up to the size seen at open: growth shows up in the stat afterwards.
    const readAt = (k: number, pos: number): Promise<{ bytesRead: number }> => {
      bufs[k] ??= acquireReadBuffer();
      return fh.read(bufs[k]!, 0, Math.min(READ_SIZE, size - pos), pos);
    };
    let pos = 0;
    let k = 0;
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
    }
    const chunks = hasher.finish();
    const after = await statOrNull(absPath);
    const changedDuringHash = pos !== size || !after || !sameFile(before, after);
    return {
      chunks,
      size: pos,
      mtimeMs: Math.floor(before.mtimeMs),
      ino: before.ino,
      mode: before.mode & 0o7777,
      changedDuringHash,
    };
  } catch (err) {
    throw err instanceof ShoalError || signal?.aborted ? err : fsError(err, absPath);
  } finally {
    // A read may still be in flight if hashing threw: let it land before the buffers go back.
    if (pending) await pending.catch(() => undefined);
    await fh.close().catch(() => undefined);
    for (const b of bufs) releaseReadBuffer(b);
  }
}

/** Same inode, size, mtime and ctime (ctime also catches a write that restored the mtime). */
function sameFile(a: Stats, b: Stats): boolean {
  return a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;
}

async function statOrNull(p: string): Promise<Stats | null> {
  try {
    return await fsp.stat(p);
  } catch {
    return null;
  }
}

/** ENOENT becomes BAD_PATH (the scanner treats it as "gone"); the rest IO_ERROR. */
export function fsError(err: unknown, p: string): ShoalError {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new ShoalError('BAD_PATH', `File vanished: ${p}`, { cause: err });
  if (code === 'EACCES' || code === 'EPERM') return new ShoalError('IO_ERROR', `Permission denied: ${p}`, { cause: err });
  if (code === 'EISDIR') return new ShoalError('BAD_PATH', `Not a regular file: ${p}`, { cause: err });
  return new ShoalError('IO_ERROR', `Cannot read ${p}: ${code ?? String(err)}`, { cause: err });
}

/** BLAKE2b-256 of a buffer (a new 32-byte Buffer). */
export function hashBuffer(buf: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(HASH_BYTES);
  blake2b256Into(out, buf);
  return out;
}

const verifyOut = Buffer.alloc(HASH_BYTES);

/** Does `buf` hash to `expected`? For verifying received chunks; allocates nothing. */
export function chunkHashEquals(buf: Uint8Array, expected: Uint8Array): boolean {
  if (expected.length !== HASH_BYTES) return false;
  blake2b256Into(verifyOut, buf);
  return verifyOut.equals(expected);
}
