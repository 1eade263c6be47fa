import fs from 'node:fs';
import sodium from 'sodium-native';
import { nativeModule } from '../util/native-module.js';

/**
 * AES-256-CTR for the bodies of bulk frames (the chunks of a transfer), when both peers have
 * it fast: the one cipher pass over every byte on each side is most of what encryption
 * costs a transfer, and OpenSSL's AES with the CPU's AES instructions ran at ~8 GB/s on the
 * dev VM against ~5.3 GB/s for its ChaCha20 (`openssl speed -evp`, 256 KiB blocks).
 *
 * Each peer says in its hello whether it takes such frames (hello.bulkAes): it does when the
 * engine's native module (engine/native/aes-ctr.c) loaded and the CPU has AES instructions
 * (without them AES is slow and leaks timing: ChaCha20 it is). A frame's header says which
 * cipher its body used, and the tag covers the header, so a cipher cannot be switched by
 * anyone in between. Everything else stays as it is: other frames, the Poly1305 tag (its
 * one-time key from ChaCha20 block 0 under the session key), the nonces.
 *
 * The AES key is not the session key but derived from it (keyed BLAKE2b), so no key is
 * shared between two ciphers. Counter block: the frame's 12-byte nonce, then a 32-bit
 * big-endian block counter from 0 (frames are far below 2^32 blocks).
 *
 * SHOAL_BULK_AES=0 turns it off (to compare, or to rule it out).
 */
export type AesCtr = (out: Uint8Array, input: Uint8Array, iv: Uint8Array, key: Uint8Array) => void;

const native: AesCtr | null = typeof nativeModule?.aesCtr === 'function' ? nativeModule.aesCtr : null;

/** Does this CPU have AES instructions? (Only asked where the native module exists: Linux, macOS.) */
function cpuHasAes(): boolean {
  if (process.platform === 'darwin') return process.arch === 'arm64'; // every Apple silicon CPU has them
  if (process.platform !== 'linux') return false;
  try {
    // x86: "flags : ... aes ..."; arm64: "Features : ... aes ...".
    return /^(flags|Features)\s*:.*\baes\b/m.test(fs.readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return false;
  }
}

/** This device takes and sends AES bulk frames (what its hello says). */
export const BULK_AES_AVAILABLE: boolean = native !== null && process.env.SHOAL_BULK_AES !== '0' && cpuHasAes();

const KEY_CONTEXT = Buffer.from('shoal bulk aes-256-ctr v1');

/** The AES key of one direction, from that direction's session key. */
export function bulkAesKey(sessionKey: Buffer): Buffer {
  const out = Buffer.alloc(32);
  sodium.crypto_generichash(out, KEY_CONTEXT, sessionKey);
  return out;
}

/**
 * out = input XOR AES-256-CTR(key) from block `block` of the frame with `nonce` (12 bytes).
 * Only called where BULK_AES_AVAILABLE (frames are refused otherwise, never decrypted slowly).
 */
export function aesCtrXor(out: Uint8Array, input: Uint8Array, nonce: Uint8Array, block: number, key: Uint8Array, iv: Buffer): void {
  if (!native) throw new Error('AES-256-CTR is not available on this device');
  iv.set(nonce, 0);
  iv.writeUInt32BE(block, 12);
  native(out, input, iv, key);
}
