/**
 * Worker-thread side of hash-pool.ts: chunks and hashes files whose descriptor the main
 * thread opened (descriptors are process-wide), so a big file's CPU work runs on the
 * other core while the main thread keeps walking, statting, signing and storing.
 *
 * Messages in:  { id, fd, size, partialEvery } to start a job, { cancel: id } to stop one early,
 *               { id, small: paths } to hash small files (small-read.ts), answered with
 *               { id, small: outcomes } in the same order.
 * Messages out: { id, progress } after each read buffer; with partialEvery > 0, also
 *               { id, partial: { hashes, sizes } } with the chunks completed since the last
 *               one, at least every partialEvery bytes; then exactly one of
 *               { id, done: bytesRead, hashes, sizes } or { id, error: { code, message } }.
 */
import fs from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { HASH_BYTES, type ChunkRef } from '../model/chunk-ref.js';
import { ChunkHasher } from './chunk-hasher.js';
import { READ_SIZE, acquireReadBuffer, releaseReadBuffer } from './read-buffers.js';
import { SMALL_FILE, readSmallSync } from './small-read.js';
import { ShoalError } from '../errors.js';

export type HashJob =
  | {
      id: number;
      fd: number;
      size: number;
      /** Report completed chunks every this many bytes (0: only at the end). */
      partialEvery: number;
    }
  | { id: number; small: string[] };

/** One small file's hash as it crosses back (its chunk hashes in one block). */
export type SmallOutcome =
  | { file: { size: number; mtimeMs: number; ino: number; mode: number; changedDuringHash: boolean; hashes: Uint8Array; sizes: number[] } }
  | { notSmall: true }
  | { error: { code?: string; message: string } };

export type WorkerReply =
  | { id: number; small: SmallOutcome[] }
  | { id: number; progress: number }
  | { id: number; partial: { hashes: Uint8Array; sizes: number[] } }
  | { id: number; done: number; hashes: Uint8Array; sizes: number[] }
  | { id: number; error: { code?: string; message: string } };

const port = parentPort!;
const cancelled = new Set<number>();

port.on('message', (m: HashJob | { cancel: number }) => {
  if ('cancel' in m) cancelled.add(m.cancel);
  else if ('small' in m) port.postMessage({ id: m.id, small: m.small.map(hashSmall) } satisfies WorkerReply);
  else void run(m);
});

const smallBuf = Buffer.allocUnsafeSlow(SMALL_FILE);
const smallHasher = new ChunkHasher();

function hashSmall(absPath: string): SmallOutcome {
  try {
    const r = readSmallSync(absPath, smallBuf, smallHasher);
    if (!r) return { notSmall: true };
    return { file: { size: r.size, mtimeMs: r.mtimeMs, ino: r.ino, mode: r.mode, changedDuringHash: r.changedDuringHash, ...crossing(r.chunks) } };
  } catch (err) {
    const e = err as ShoalError;
    return { error: { code: e instanceof ShoalError ? e.code : 'IO_ERROR', message: String(e?.message ?? err) } };
  }
}

/**
 * A file's chunks as they cross back: ChunkHasher.finish() put all hashes in one block, in
 * order, and exactly those bytes are copied out (slice: a view would take its whole
 * ArrayBuffer along, e.g. an 8 KiB slab of slab.ts for a file of few chunks).
 */
function crossing(chunks: readonly ChunkRef[]): { hashes: Uint8Array; sizes: number[] } {
  const first = chunks[0]?.hash;
  const hashes = first ? new Uint8Array(first.buffer, first.byteOffset, chunks.length * HASH_BYTES).slice() : new Uint8Array(0);
  return { hashes, sizes: chunks.map((c) => c.size) };
}

function readAt(fd: number, buf: Buffer, len: number, pos: number): Promise<number> {
  return new Promise((resolve, reject) => fs.read(fd, buf, 0, len, pos, (err, n) => (err ? reject(err) : resolve(n))));
}

/** Same double-buffered loop as hasher.ts: the next read runs while this one is hashed. */
async function run(job: Extract<HashJob, { fd: number }>): Promise<void> {
  const { id, fd, size, partialEvery } = job;
  const hasher = new ChunkHasher();
  const bufs = [acquireReadBuffer(), acquireReadBuffer()];
  let pending: Promise<number> | undefined;
  let reply: WorkerReply;
  try {
    let pos = 0;
    let k = 0;
    let reported = 0;
    let reportedAt = 0;
    if (size > 0) pending = readAt(fd, bufs[0]!, Math.min(READ_SIZE, size), 0);
    while (pending) {
      const n = await pending;
      pending = undefined;
      if (n === 0 || cancelled.has(id)) break; // shrank (the caller's stat tells) or cancelled
      const cur = bufs[k]!;
      pos += n;
      k ^= 1;
      if (pos < size) pending = readAt(fd, bufs[k]!, Math.min(READ_SIZE, size - pos), pos);
      hasher.push(cur.subarray(0, n));
      port.postMessage({ id, progress: pos } satisfies WorkerReply);
      if (partialEvery > 0 && pos - reportedAt >= partialEvery && hasher.completed > reported) {
        port.postMessage({ id, partial: hasher.completedSince(reported) } satisfies WorkerReply);
        reported = hasher.completed;
        reportedAt = pos;
      }
    }
    reply = { id, done: pos, ...crossing(hasher.finish()) };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    reply = { id, error: { code: e?.code, message: String(e?.message ?? err) } };
  } finally {
    // The caller closes the descriptor once it has the reply: no read may still be running.
    if (pending) await pending.catch(() => undefined);
    cancelled.delete(id);
    for (const b of bufs) releaseReadBuffer(b);
  }
  port.postMessage(reply);
}
