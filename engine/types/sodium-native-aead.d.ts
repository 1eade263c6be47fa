/**
 * The IETF ChaCha20-Poly1305 AEAD and ChaCha20 stream (96-bit nonce) that sodium-native
 * exports but @types/sodium-native does not declare; signatures as for their xchacha20
 * siblings. Used by engine/protocol/aead.ts. In-place use (output === input) is supported.
 */
import 'sodium-native';

declare module 'sodium-native' {
  export function crypto_aead_chacha20poly1305_ietf_encrypt_detached(
    ciphertext: Uint8Array,
    mac: Uint8Array,
    message: Uint8Array,
    ad: Uint8Array | null,
    nsec: null,
    npub: Uint8Array,
    key: Uint8Array,
  ): number;

  /** Throws when the tag does not verify (then `message` is left untouched). */
  export function crypto_aead_chacha20poly1305_ietf_decrypt_detached(
    message: Uint8Array,
    nsec: null,
    ciphertext: Uint8Array,
    mac: Uint8Array,
    ad: Uint8Array | null,
    npub: Uint8Array,
    key: Uint8Array,
  ): void;

  /** XOR `message` with the key stream starting at 64-byte block `ic`, into `ciphertext` (same length). */
  export function crypto_stream_chacha20_ietf_xor_ic(ciphertext: Uint8Array, message: Uint8Array, npub: Uint8Array, ic: number, key: Uint8Array): void;
}
