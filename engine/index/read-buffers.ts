/**
 * Large read buffers, reused across files: allocating them per file would churn memory
 * (and RSS) while indexing thousands of files. Idle buffers are kept up to a small cap;
 * beyond it they are dropped for the GC, so memory stays bounded by the number of files
 * hashed at once (hasher.ts caps that).
 *
 * 2 MiB: hashFile ran at the same speed with 1, 2, 4 and 8 MiB reads (bench/hash-speed.ts),
 * and a smaller buffer keeps both memory and the time one hash step blocks the event loop
 * (~4 ms) down. Still large enough for sequential disk reads.
 */
export const READ_SIZE = 2 * 1024 * 1024;
const MAX_IDLE = 4;

const idle: Buffer[] = [];

export function acquireReadBuffer(): Buffer {
  // allocUnsafeSlow: outside Node's shared pool, so a released buffer really is one block.
  return idle.pop() ?? Buffer.allocUnsafeSlow(READ_SIZE);
}

export function releaseReadBuffer(buf: Buffer): void {
  if (buf.length === READ_SIZE && idle.length < MAX_IDLE) idle.push(buf);
}

/** Let the idle buffers go (after a big scan: up to 8 MiB that may not be needed for long). */
export function dropIdleReadBuffers(): void {
  idle.length = 0;
}
