import fs, { closeSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import { ShoalError } from '../errors.js';
import { syncIo } from '../util/sync-io.js';
import type { ChunkRequest } from './peer-link.js';
import { HASH_BYTES, type FileRecord } from './record.js';

/** Never through a symlink planted where a synced file was: only the folder's own files are served. */
const O_READ = fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0);

interface Handle {
  /** Resolves with the descriptor (at once when opened synchronously). */
  opened: Promise<number>;
  /** The descriptor once the open completed. */
  fd: number | null;
  /** The version the handle was opened for: a new version means a new file (renamed into place). */
  record: FileRecord;
  timer: NodeJS.Timeout | null;
  users: number;
  retired: boolean;
}

/**
 * Serves chunk requests from peers: checks the request against what our index says is on
 * disk (path, offset, size and hash must name a real chunk of that file), then reads it
 * into the caller's buffer (the outgoing frame itself: nothing is allocated or copied).
 * Keeps a few file handles open so a big file isn't reopened for every chunk.
 */
export class ChunkReader {
  private readonly handles = new Map<string, Handle>();
  private readonly offsets = new WeakMap<FileRecord, Float64Array>();

  constructor(private readonly root: string, private readonly maxOpen = 16, private readonly idleMs = 2000) {}

  /**
   * Does `req` name chunks of this version of the file: its `count` chunks from `offset`
   * on, with those hashes and `size` bytes in all?
   */
  has(record: FileRecord, req: ChunkRequest): boolean {
    const count = req.count ?? 1;
    const first = this.chunkAt(record, req.offset);
    if (first < 0 || first + count > record.chunks.length || req.hash.length !== count * HASH_BYTES) return false;
    let size = 0;
    for (let k = 0; k < count; k++) {
      const chunk = record.chunks[first + k]!;
      if (req.hash.compare(chunk.hash, 0, HASH_BYTES, k * HASH_BYTES, (k + 1) * HASH_BYTES) !== 0) return false;
      size += chunk.size;
    }
    return size === req.size;
  }

  /** Read the requested chunk into `into` (exactly req.size bytes). */
  async read(record: FileRecord, req: ChunkRequest, into: Buffer): Promise<void> {
    if (!this.has(record, req)) throw new ShoalError('BAD_REQUEST', 'No such chunks in this version of the file');
    if (into.length !== req.size) throw new RangeError(`read(): buffer of ${into.length} bytes for a chunk of ${req.size}`);
    const abs = path.join(this.root, ...record.path.split('/'));
    // A one-chunk file is read once: open, read and close, with no handle kept around.
    if (record.chunks.length === 1 && syncIo.allowed && !this.handles.has(abs)) return this.readOnce(abs, into, req.offset);
    const h = this.acquire(abs, record);
    try {
      const fd = h.fd ?? (await h.opened);
      if (syncIo.allowed) return this.readNow(fd, into, req.offset);
      let got = 0;
      while (got < req.size) {
        const n = await readFd(fd, into, got, req.size - got, req.offset + got);
        if (n === 0) throw shortFile();
        got += n;
      }
    } catch (err) {
      throw ioError(err);
    } finally {
      this.release(abs, h);
    }
  }

  private readOnce(abs: string, into: Buffer, offset: number): void {
    const t0 = performance.now();
    let fd: number;
    try {
      fd = openSync(abs, O_READ);
    } catch (err) {
      syncIo.took(t0);
      throw ioError(err);
    }
    try {
      this.readNow(fd, into, offset);
    } finally {
      closeSync(fd);
    }
  }

  private readNow(fd: number, into: Buffer, offset: number): void {
    const t0 = performance.now();
    try {
      for (let got = 0; got < into.length; ) {
        const n = readSync(fd, into, got, into.length - got, offset + got);
        if (n === 0) throw shortFile();
        got += n;
      }
    } catch (err) {
      throw ioError(err);
    } finally {
      syncIo.took(t0);
    }
  }

  /** Forget an open handle (file replaced or deleted). */
  invalidate(rel: string): void {
    const abs = path.join(this.root, ...rel.split('/'));
    const h = this.handles.get(abs);
    if (h) this.retire(abs, h);
  }

  async close(): Promise<void> {
    for (const [abs, h] of [...this.handles]) this.retire(abs, h);
  }

  private chunkAt(record: FileRecord, offset: number): number {
    let offs = this.offsets.get(record);
    if (!offs) {
      offs = new Float64Array(record.chunks.length);
      let o = 0;
      for (let i = 0; i < record.chunks.length; i++) {
        offs[i] = o;
        o += record.chunks[i]!.size;
      }
      this.offsets.set(record, offs);
    }
    let lo = 0;
    let hi = offs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = offs[mid]!;
      if (v === offset) return mid;
      if (v < offset) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  private acquire(abs: string, record: FileRecord): Handle {
    let h = this.handles.get(abs);
    if (h && h.record !== record) {
      this.retire(abs, h);
      h = undefined;
    }
    if (!h) {
      if (this.handles.size >= this.maxOpen) {
        for (const [k, v] of this.handles) {
          if (v.users === 0) {
            this.retire(k, v);
            break;
          }
        }
      }
      h = this.open(abs, record);
      this.handles.set(abs, h);
    }
    if (h.timer) clearTimeout(h.timer);
    h.timer = null;
    h.users++;
    return h;
  }

  private open(abs: string, record: FileRecord): Handle {
    const h: Handle = { opened: Promise.resolve(-1), fd: null, record, users: 0, timer: null, retired: false };
    if (syncIo.allowed) {
      const t0 = performance.now();
      try {
        h.fd = openSync(abs, O_READ);
        h.opened = Promise.resolve(h.fd);
      } catch (err) {
        h.opened = Promise.reject(err);
      } finally {
        syncIo.took(t0);
      }
    } else {
      h.opened = new Promise((resolve, reject) => fs.open(abs, O_READ, (err, fd) => (err ? reject(err) : resolve(fd))));
      h.opened.then((fd) => (h.fd = fd)).catch(() => undefined);
    }
    h.opened.catch(() => this.retire(abs, h));
    return h;
  }

  private release(abs: string, h: Handle): void {
    h.users--;
    if (h.users > 0) return;
    if (h.retired) {
      void closeQuietly(h);
      return;
    }
    h.timer = setTimeout(() => this.retire(abs, h), this.idleMs);
    h.timer.unref();
  }

  /** Take a handle out of the cache; it closes once its last reader is done. */
  private retire(abs: string, h: Handle): void {
    if (this.handles.get(abs) === h) this.handles.delete(abs);
    if (h.timer) clearTimeout(h.timer);
    h.timer = null;
    if (h.retired) return;
    h.retired = true;
    if (h.users === 0) void closeQuietly(h);
  }
}

function shortFile(): ShoalError {
  return new ShoalError('IO_ERROR', 'File is shorter than its index says');
}

function ioError(err: unknown): ShoalError {
  if (err instanceof ShoalError) return err;
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT' || code === 'ELOOP') return new ShoalError('BAD_REQUEST', 'File not available', { cause: err });
  return new ShoalError('IO_ERROR', `Cannot read the file (${code ?? String(err)})`, { cause: err });
}

function readFd(fd: number, buf: Buffer, off: number, len: number, pos: number): Promise<number> {
  return new Promise((resolve, reject) => fs.read(fd, buf, off, len, pos, (err, n) => (err ? reject(err) : resolve(n))));
}

/** Close once nothing reads from it; a failed open has nothing to close. */
async function closeQuietly(h: Handle): Promise<void> {
  try {
    const fd = await h.opened;
    h.fd = null;
    await new Promise<void>((resolve) => fs.close(fd, () => resolve()));
  } catch {
    // the open failed: nothing to release
  }
}
