import type { FileAssembler } from '../transfer/assembler.js';
import { hashMismatch } from '../transfer/layout.js';
import type { ChunkRef } from './chunk-ref.js';

/**
 * The answer to a request for a run of adjacent chunks (fetch-run.ts): one buffer holding
 * chunks first..first+count-1 one after another, either their places in a write extent
 * (FileAssembler.placeRun) or a buffer of the connection's.
 */

export interface RunWritten {
  /** Bytes of the chunks verified and written. */
  got: number;
  /** The chunks that were not, with why (wrong bytes, a write error): to be asked for again. */
  failures: Array<[number, unknown]>;
}

/**
 * Verify and write each chunk of the run on its own: a chunk with wrong bytes fails alone
 * (its place is given up, the chunk is missing again), the others are kept. An answer of
 * the wrong length fails every chunk.
 */
export async function writeRun(asm: FileAssembler, path: string, first: number, count: number, data: Buffer, chunks: readonly ChunkRef[]): Promise<RunWritten> {
  const failures: Array<[number, unknown]> = [];
  if (data.length !== runBytes(chunks, first, count)) {
    for (let i = first; i < first + count; i++) failures.push([i, hashMismatch(path, i)]);
    return { got: 0, failures };
  }
  const writes: Array<Promise<void>> = [];
  for (let i = first, at = 0; i < first + count; at += chunks[i++]!.size) {
    writes.push(asm.writeChunk(i, data.subarray(at, at + chunks[i]!.size)));
  }
  let got = 0;
  const results = await Promise.allSettled(writes);
  results.forEach((r, k) => {
    if (r.status === 'fulfilled') got += chunks[first + k]!.size;
    else failures.push([first + k, r.reason]);
  });
  return { got, failures };
}

/** The download stopped while the run's bytes were placed: each chunk's place is given up. */
export function dropRun(asm: FileAssembler, first: number, count: number, data: Buffer, chunks: readonly ChunkRef[]): void {
  if (data.length !== runBytes(chunks, first, count)) return;
  for (let i = first, at = 0; i < first + count; at += chunks[i++]!.size) asm.dropPlace(i, data.subarray(at, at + chunks[i]!.size));
}

function runBytes(chunks: readonly ChunkRef[], first: number, count: number): number {
  let n = 0;
  for (let i = first; i < first + count; i++) n += chunks[i]?.size ?? Number.NaN;
  return n;
}
