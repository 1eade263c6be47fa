import sodium from 'sodium-native';
import { nativeModule } from '../util/native-module.js';

/**
 * ChaCha20 with RFC 8439's 96-bit nonce and 32-bit block counter: out = input XOR key
 * stream from block `counter` on. out and input have one length and are the same memory or
 * disjoint. The frames' bulk encryption (aead.ts) goes through here.
 *
 * Two implementations of the same function, byte for byte:
 * - OpenSSL's, through the engine's native module (engine/native/chacha20.c; loaded by
 *   util/native-module.ts when it was built at install). OpenSSL picks
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

/** The native implementation when it loaded, else null. */
export const nativeChaCha20: ChaCha20Xor | null = typeof nativeModule?.xor === 'function' ? nativeModule.xor : null;

/** The implementation in use. */
export const chacha20Xor: ChaCha20Xor = nativeChaCha20 ?? libsodiumChaCha20;

/** Which one that is, for the log. */
export const CHACHA20_IMPL: 'openssl' | 'libsodium' = nativeChaCha20 ? 'openssl' : 'libsodium';
