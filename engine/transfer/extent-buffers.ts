/**
 * Page-aligned 4 MiB buffers for O_DIRECT writes (direct-writer.ts).
 *
 * O_DIRECT needs the memory it writes from aligned to the device's block size. JavaScript
 * cannot see a Buffer's address, and ordinary Buffers are not aligned (glibc puts a
 * 16-byte header in front of each block). A WebAssembly.Memory's buffer always starts on
 * a page boundary, so each extent buffer is one of those.
 *
 * At most MAX_EXTENT_BUFFERS exist at once (32 MiB); a download that finds none free writes
 * through the page cache instead. Idle buffers are dropped after a while.
 */
export const EXTENT_BYTES = 4 * 1024 * 1024;
const WASM_PAGE = 64 * 1024;
export const MAX_EXTENT_BUFFERS = 8;
const IDLE_DROP_MS = 10_000;

/** The one WebAssembly API used here (the engine's TypeScript lib has no DOM/wasm types). */
const WasmMemory = (globalThis as unknown as {
  WebAssembly: { Memory: new (d: { initial: number; maximum?: number; shared?: boolean }) => { buffer: ArrayBuffer | SharedArrayBuffer } };
}).WebAssembly.Memory;

/**
 * Extents are shared memory where the runtime allows it, so a worker thread can verify
 * the chunks received into one without a copy (direct-writer.ts verifyBehind).
 */
export const EXTENTS_SHARED: boolean = (() => {
  try {
    return new WasmMemory({ initial: 1, maximum: 1, shared: true }).buffer instanceof SharedArrayBuffer;
  } catch {
    return false;
  }
})();

let made = 0;
const idle: Buffer[] = [];
let dropTimer: NodeJS.Timeout | null = null;
let lastUse = 0;

/** An aligned EXTENT_BYTES buffer, or null when all are in use. */
export function acquireExtent(): Buffer | null {
  lastUse = performance.now();
  const reused = idle.pop();
  if (reused) return reused;
  if (made >= MAX_EXTENT_BUFFERS) return null;
  made++;
  const memory = new WasmMemory({ initial: EXTENT_BYTES / WASM_PAGE, maximum: EXTENT_BYTES / WASM_PAGE, shared: EXTENTS_SHARED });
  return Buffer.from(memory.buffer);
}

/** Give a buffer from acquireExtent() back (nothing may still be writing from it). */
export function releaseExtent(buf: Buffer): void {
  idle.push(buf);
  if (!dropTimer) {
    dropTimer = setTimeout(dropIdle, IDLE_DROP_MS);
    dropTimer.unref();
  }
}

function dropIdle(): void {
  dropTimer = null;
  const quiet = performance.now() - lastUse;
  if (quiet < IDLE_DROP_MS) {
    dropTimer = setTimeout(dropIdle, IDLE_DROP_MS - quiet);
    dropTimer.unref();
    return;
  }
  made -= idle.length;
  idle.length = 0;
}

/** Buffers in existence (tests). */
export function extentBuffersMade(): number {
  return made;
}
