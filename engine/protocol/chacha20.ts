import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sodium from 'sodium-native';

/**
 * ChaCha20 with RFC 8439's 96-bit nonce and 32-bit block counter: out = input XOR key
 * stream from block `counter` on. out and input have one length and are the same memory or
 * disjoint. The frames' bulk encryption (aead.ts) goes through here.
 *
 * Two implementations of the same function, byte for byte:
 * - OpenSSL's, through the small native module engine/native/chacha20.c (built at install by
 *   scripts/build-native.mjs when a C compiler and Node's headers are there). OpenSSL picks
 *   AVX-512 where the CPU has it: measured on the 2-core dev VM, 0.17 s per GiB in place
 *   against libsodium's 0.44, on each side of every transfer.
 * - libsodium's, always there, used when the native module is missing or does not load
 *   (and when SHOAL_NATIVE=0, to compare).
 * test/protocol-chacha20.test.ts checks that both agree; frames made with either open with
 * either.
 */
export type ChaCha20Xor = (out: Uint8Array, input: Uint8Array, nonce: Uint8Array, counter: number, key: Uint8Array) => void;

export const libsodiumChaCha20: ChaCha20Xor = (out, input, nonce, counter, key) =>
  sodium.crypto_stream_chacha20_ietf_xor_ic(out, input, nonce, counter, key);

/**
 * The built module: build/native/shoal-native.node in Shoal's own package root (the nearest
 * folder above this file whose package.json is Shoal's, from engine/protocol or
 * dist/engine/protocol alike), never a file found anywhere else.
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

function loadNative(): ChaCha20Xor | null {
  if (process.env.SHOAL_NATIVE === '0') return null;
  const file = nativeModulePath();
  if (!file || !fs.existsSync(file)) return null;
  try {
    const mod = createRequire(import.meta.url)(file) as { xor?: unknown };
    return typeof mod.xor === 'function' ? (mod.xor as ChaCha20Xor) : null;
  } catch {
    return null; // built for another Node, or its OpenSSL symbols are missing: libsodium it is
  }
}

/** The native implementation when it loaded, else null. */
export const nativeChaCha20: ChaCha20Xor | null = loadNative();

/** The implementation in use. */
export const chacha20Xor: ChaCha20Xor = nativeChaCha20 ?? libsodiumChaCha20;

/** Which one that is, for the log. */
export const CHACHA20_IMPL: 'openssl' | 'libsodium' = nativeChaCha20 ? 'openssl' : 'libsodium';
