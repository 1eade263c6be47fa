/*
 * ChaCha20 (RFC 8439, 96-bit nonce, 32-bit block counter) through the OpenSSL that Node
 * itself is built with, for the frames' bulk encryption (engine/protocol/aead.ts).
 *
 * Why: OpenSSL's ChaCha20 picks AVX-512 where the CPU has it, ~3x libsodium's (AVX2) speed
 * on the dev VM, but node:crypto hands every result back in a new buffer (allocated twice
 * and copied, for a stream cipher) which costs more than it saves. This calls the same code
 * in place. It is an accelerator only: chacha20.ts falls back to libsodium, byte for byte
 * the same, where this module is not built or does not load (no C compiler, Windows, an
 * Electron whose BoringSSL has no EVP_chacha20: linked with -z now, so a missing symbol
 * fails the load, not a later call).
 *
 *   xor(out, input, nonce, counter, key): out = input XOR ChaCha20(key, nonce) from block
 *   `counter` on. Uint8Arrays; out and input the same length and either the same memory
 *   or disjoint; nonce 12 bytes, key 32.
 */
#include <limits.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <string.h>

#include "shoal-native.h"

napi_value shoal_chacha20_xor(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 5)
    return shoal_fail(env, "ERR_INVALID_ARG", "xor(out, input, nonce, counter, key)");
  uint8_t *out, *in, *nonce, *key;
  size_t out_n, in_n, nonce_n, key_n;
  uint32_t counter;
  if (!shoal_bytes_of(env, argv[0], &out, &out_n) || !shoal_bytes_of(env, argv[1], &in, &in_n) ||
      !shoal_bytes_of(env, argv[2], &nonce, &nonce_n) || !shoal_bytes_of(env, argv[4], &key, &key_n) ||
      napi_get_value_uint32(env, argv[3], &counter) != napi_ok)
    return shoal_fail(env, "ERR_INVALID_ARG", "xor: out, input, nonce and key must be Uint8Arrays, counter a number");
  if (out_n != in_n || nonce_n != 12 || key_n != 32 || in_n > INT_MAX)
    return shoal_fail(env, "ERR_INVALID_ARG", "xor: out and input of one length, a 12-byte nonce, a 32-byte key");
  if (out != in && out < in + in_n && in < out + out_n)
    return shoal_fail(env, "ERR_INVALID_ARG", "xor: out and input overlap without being the same memory");
  if (in_n == 0) return NULL;

  EVP_CIPHER_CTX *ctx = shoal_cipher_ctx(env, 0);
  if (ctx == NULL) return shoal_fail(env, "ERR_CRYPTO", "xor: no ChaCha20 context");
  /* OpenSSL's 16-byte ChaCha20 IV: the block counter (little endian), then the nonce. */
  uint8_t iv[16];
  iv[0] = (uint8_t)counter;
  iv[1] = (uint8_t)(counter >> 8);
  iv[2] = (uint8_t)(counter >> 16);
  iv[3] = (uint8_t)(counter >> 24);
  memcpy(iv + 4, nonce, 12);
  int written = 0;
  if (EVP_EncryptInit_ex(ctx, NULL, NULL, key, iv) != 1 || EVP_EncryptUpdate(ctx, out, &written, in, (int)in_n) != 1 ||
      (size_t)written != in_n)
    return shoal_fail(env, "ERR_CRYPTO", "xor: ChaCha20 failed");
  return NULL;
}
