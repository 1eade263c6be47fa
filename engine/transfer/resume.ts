import type { FileHandle } from 'node:fs/promises';
import type { FileRecord } from '../model/record.js';
import { chunkHash, chunkMatches } from './blake.js';
import { isAllZero, readFully } from './io.js';
import type { ChunkLayout } from './layout.js';

/**
 * Resuming after an interrupted run (crash, SIGKILL, power loss): the temp file may hold
 * any subset of chunks, possibly torn. Each chunk is trusted only after its bytes at its
 * offset hash correctly, so a torn write or a temp left by an older version of the file
 * simply counts as missing.
 *
 * Unwritten regions of the sparse temp read as zeros; those are recognised by a memcmp
 * instead of being hashed, so resuming a half-written 1 GiB file hashes ~0.5 GiB, not 1.
 */
export async function verifyTempChunks(fh: FileHandle, record: FileRecord, layout: ChunkLayout, fileSize: number): Promise<number[]> {
  if (fileSize > record.size) await fh.truncate(record.size); // stale tail from a bigger version
  const limit = Math.min(fileSize, record.size);
  const present: number[] = [];
  if (limit === 0) return present;
  const buf = Buffer.allocUnsafe(layout.maxChunk);
  const zeroHashes = new Map<number, Buffer>();
  for (let i = 0; i < record.chunks.length; i++) {
    const { hash, size } = record.chunks[i]!;
    const off = layout.offsets[i]!;
    if (off + size > limit) break; // offsets ascend: nothing further is inside the file
    const view = buf.subarray(0, size);
    if (!(await readFully(fh, view, off))) break;
    if (isAllZero(view)) {
      // Probably a hole; still a valid chunk if the real content is all zeros.
      let zh = zeroHashes.get(size);
      if (!zh) zeroHashes.set(size, (zh = chunkHash(view)));
      if (zh.equals(hash)) present.push(i);
    } else if (chunkMatches(view, hash)) {
      present.push(i);
    }
  }
  return present;
}
