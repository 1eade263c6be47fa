/*
 * shoal-native: the engine's optional native accelerators, one N-API module
 * (build/native/shoal-native.node, built by scripts/build-native.mjs):
 *   chacha20.c  xor()     ChaCha20 through Node's own OpenSSL (engine/protocol/chacha20.ts)
 *   aes-ctr.c   aesCtr()  AES-256-CTR through the same OpenSSL (engine/protocol/bulk-cipher.ts)
 *   syncfs.c    syncfs()  flush one file system at once (engine/transfer/batch-sync.ts)
 * Every user has a fallback in plain Node for where the module is missing.
 */
#ifndef SHOAL_NATIVE_H
#define SHOAL_NATIVE_H

#define NAPI_VERSION 8
#include <node_api.h>
#include <stddef.h>
#include <stdint.h>

/* Throw a TypeError with `code` and return NULL (for `return shoal_fail(...)`). */
napi_value shoal_fail(napi_env env, const char *code, const char *message);
/* A Uint8Array's bytes (the view's own, offset applied) and length; 0 if `v` is not one. */
int shoal_bytes_of(napi_env env, napi_value v, uint8_t **p, size_t *n);

/* One OpenSSL cipher context per JavaScript environment and cipher (the engine's thread, each
   worker), created on first use: `which` is 0 for ChaCha20, 1 for AES-256-CTR. NULL on failure. */
struct evp_cipher_ctx_st;
struct evp_cipher_ctx_st *shoal_cipher_ctx(napi_env env, int which);

napi_value shoal_chacha20_xor(napi_env env, napi_callback_info info);
napi_value shoal_aes256ctr_xor(napi_env env, napi_callback_info info);
#ifdef __linux__
napi_value shoal_syncfs(napi_env env, napi_callback_info info);
#endif

#endif
