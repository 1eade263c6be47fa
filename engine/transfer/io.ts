import type { FileHandle } from 'node:fs/promises';

/**
 * Positional read/write loops. pread/pwrite may transfer fewer bytes than asked (a full
 * disk mid-write, a file shrinking under us); these finish the job or say why not.
 */

/** Fill `buf` from `position`. False if the file ends first. */
export async function readFully(fh: FileHandle, buf: Buffer, position: number): Promise<boolean> {
  let done = 0;
  while (done < buf.length) {
    const { bytesRead } = await fh.read(buf, done, buf.length - done, position + done);
    if (bytesRead === 0) return false;
    done += bytesRead;
  }
  return true;
}

/** Write all of `buf` at `position` (a short write is retried; the retry surfaces ENOSPC). */
export async function writeFully(fh: FileHandle, buf: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const { bytesWritten } = await fh.write(buf, done, buf.length - done, position + done);
    done += bytesWritten;
  }
}

/** Write `bufs` back to back from `position` (pwritev; a short write is finished piecewise). */
export async function writevFully(fh: FileHandle, bufs: readonly Buffer[], position: number): Promise<void> {
  if (bufs.length === 1) return writeFully(fh, bufs[0]!, position);
  const { bytesWritten } = await fh.writev(bufs as Buffer[], position);
  let skip = bytesWritten;
  let at = position;
  for (const b of bufs) {
    if (skip < b.length) await writeFully(fh, b.subarray(skip), at + skip);
    skip = Math.max(0, skip - b.length);
    at += b.length;
  }
}

const ZEROS = Buffer.alloc(64 * 1024);

/** All bytes zero? (Unwritten parts of a sparse temp file read as zeros.) memcmp speed. */
export function isAllZero(buf: Buffer): boolean {
  for (let off = 0; off < buf.length; off += ZEROS.length) {
    const end = Math.min(off + ZEROS.length, buf.length);
    if (buf.compare(ZEROS, 0, end - off, off, end) !== 0) return false;
  }
  return true;
}
