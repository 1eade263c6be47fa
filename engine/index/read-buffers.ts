import { GEAR_SCAN_WASM } from './gear-wasm.js';

/**
 * Large read buffers, reused across files: allocating them per file would churn memory
 * (and RSS) while indexing thousands of files. Idle buffers are kept up to a small cap;
 * beyond it they are dropped for the GC, so memory stays bounded by the number of files
 * hashed at once (hasher.ts caps that).
 *
 * 2 MiB: hashFile ran at the same speed with 1, 2, 4 and 8 MiB reads (bench/hash-speed.ts),
 * and a smaller buffer keeps both memory and the time one hash step blocks the event loop
 * (~4 ms) down. Still large enough for sequential disk reads.
 *
 * Each buffer is the memory of its own instance of the WebAssembly gear scanner
 * (gear-scan.wat), so the chunker scans the bytes right where the file was read into,
 * with the WebAssembly loop (chunker.ts). Where WebAssembly cannot be used, plain buffers
 * (and the JavaScript loop) do the same job.
 */
export const READ_SIZE = 2 * 1024 * 1024;
const MAX_IDLE = 4;
/** Where the buffer starts in the instance's memory (after the 1 KiB GEAR table; page aligned). */
const BUFFER_AT = 4096;

/** The exported functions of one scanner instance (see gear-scan.wat). */
export interface GearScanner {
  scan(i: number, stop: number, mask: number, h: number): number;
  last(): number;
}

interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: { mem: { buffer: ArrayBuffer } } & GearScanner };
}
const wasm = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

const idle: Buffer[] = [];
const scanners = new WeakMap<ArrayBufferLike, GearScanner>();
let module: object | null | undefined;
let gearTable: Uint32Array | null = null;

/** The chunker hands over its GEAR table once (the scanner's memory starts with it). */
export function setGearTable(table: Uint32Array): void {
  gearTable = table;
}

export function acquireReadBuffer(): Buffer {
  return idle.pop() ?? scannerBuffer() ?? Buffer.allocUnsafeSlow(READ_SIZE); // allocUnsafeSlow: one block of its own
}

export function releaseReadBuffer(buf: Buffer): void {
  if (buf.length === READ_SIZE && idle.length < MAX_IDLE) idle.push(buf);
}

/** Let the idle buffers go (after a big scan: up to 8 MiB that may not be needed for long). */
export function dropIdleReadBuffers(): void {
  idle.length = 0;
}

/** The WebAssembly scanner whose memory `buf` lies in, if any. */
export function scannerOf(buf: Uint8Array): GearScanner | undefined {
  return scanners.get(buf.buffer);
}

/** A READ_SIZE view into a new scanner instance's memory, or null without WebAssembly. */
function scannerBuffer(): Buffer | null {
  if (module === undefined) {
    try {
      module = wasm && gearTable ? new wasm.Module(Buffer.from(GEAR_SCAN_WASM, 'base64')) : null;
    } catch {
      module = null;
    }
  }
  if (!module || !wasm || !gearTable) return null;
  const inst = new wasm.Instance(module, {});
  const mem = inst.exports.mem.buffer;
  new Uint32Array(mem, 0, 256).set(gearTable);
  scanners.set(mem, inst.exports);
  return Buffer.from(mem, BUFFER_AT, READ_SIZE);
}
