import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The engine's optional native module, build/native/shoal-native.node (engine/native/*.c,
 * built at install by scripts/build-native.mjs when a C compiler and Node's headers are
 * there). Each function is an accelerator with a plain-Node fallback at its one user:
 * - xor: ChaCha20 through Node's own OpenSSL (protocol/chacha20.ts; else libsodium's);
 * - aesCtr: AES-256-CTR through the same OpenSSL (protocol/bulk-cipher.ts; else ChaCha20);
 * - syncfs (Linux): one file system flushed at once (transfer/batch-sync.ts; else fsync per file).
 * SHOAL_NATIVE=0 turns the module off, to compare or to rule it out.
 */
export interface NativeModule {
  xor?: (out: Uint8Array, input: Uint8Array, nonce: Uint8Array, counter: number, key: Uint8Array) => void;
  /** AES-256-CTR: out = input XOR the key stream from the 16-byte counter block `iv`. */
  aesCtr?: (out: Uint8Array, input: Uint8Array, iv: Uint8Array, key: Uint8Array) => void;
  /** 0, or the errno syncfs(2) failed with. Blocking. */
  syncfs?: (fd: number) => number;
}

/**
 * The module in Shoal's own package root (the nearest folder above this file whose
 * package.json is Shoal's, from engine/util or dist/engine/util alike), never a file
 * found anywhere else.
 */
function nativeModulePath(): string | null {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 6; up++) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: unknown };
      if (pkg.name === 'shoal') return path.join(dir, 'build', 'native', 'shoal-native.node');
    } catch {
      // no package.json here: look further up
    }
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return null;
}

function load(): NativeModule | null {
  if (process.env.SHOAL_NATIVE === '0') return null;
  const file = nativeModulePath();
  if (!file || !fs.existsSync(file)) return null;
  try {
    return createRequire(import.meta.url)(file) as NativeModule;
  } catch {
    return null; // built for another Node, or its OpenSSL symbols are missing: the fallbacks it is
  }
}

/** The loaded module (in this thread), or null. */
export const nativeModule: NativeModule | null = load();
