import { randomFillSync } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** Shared by the test/index-*.test.ts files: temp dirs and test data. */

/** Bytes from a fixed-seed xorshift32: the same on every machine (for pinned vectors). */
export function seededBytes(n: number, seed = 1): Buffer {
  const out = Buffer.allocUnsafe(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** Random bytes (randomFillSync is limited to 2^31-1 bytes per call: fill in slices). */
export function randomBytes(n: number): Buffer {
  const out = Buffer.allocUnsafe(n);
  for (let o = 0; o < n; o += 1 << 24) randomFillSync(out, o, Math.min(1 << 24, n - o));
  return out;
}

export async function tempDir(prefix = 'shoal-index-'): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}

export async function removeDir(dir: string): Promise<void> {
  await fs.rm(dir, { recursive: true, force: true });
}

/** Resolve when `check` returns true, or fail after `ms` (every wait in a test is bounded). */
export async function waitFor(check: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`Timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
