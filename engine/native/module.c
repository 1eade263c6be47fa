/* The module's entry point and the helpers its functions share (see shoal-native.h). */
#include <openssl/evp.h>
#include <stdlib.h>

#include "shoal-native.h"

/* The cipher contexts of one JavaScript environment (its instance data). */
typedef struct {
  EVP_CIPHER_CTX *ctx[2];
} instance_t;

static void free_instance(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  instance_t *inst = (instance_t *)data;
  for (int i = 0; i < 2; i++) EVP_CIPHER_CTX_free(inst->ctx[i]);
  free(inst);
}

EVP_CIPHER_CTX *shoal_cipher_ctx(napi_env env, int which) {
  instance_t *inst = NULL;
  if (which < 0 || which > 1) return NULL;
  if (napi_get_instance_data(env, (void **)&inst) != napi_ok) return NULL;
  if (inst == NULL) {
    inst = (instance_t *)calloc(1, sizeof *inst);
    if (inst == NULL) return NULL;
    if (napi_set_instance_data(env, inst, free_instance, NULL) != napi_ok) {
      free(inst);
      return NULL;
    }
  }
  if (inst->ctx[which] == NULL) {
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    const EVP_CIPHER *cipher = which == 0 ? EVP_chacha20() : EVP_aes_256_ctr();
    if (ctx == NULL || EVP_EncryptInit_ex(ctx, cipher, NULL, NULL, NULL) != 1) {
      EVP_CIPHER_CTX_free(ctx);
      return NULL;
    }
    inst->ctx[which] = ctx;
  }
  return inst->ctx[which];
}

napi_value shoal_fail(napi_env env, const char *code, const char *message) {
  napi_throw_type_error(env, code, message);
  return NULL;
}

int shoal_bytes_of(napi_env env, napi_value v, uint8_t **p, size_t *n) {
  bool is = false;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return 0;
  napi_typedarray_type type;
  napi_value buffer;
  size_t offset;
  void *data;
  if (napi_get_typedarray_info(env, v, &type, n, &data, &buffer, &offset) != napi_ok) return 0;
  if (type != napi_uint8_array) return 0;
  *p = (uint8_t *)data; /* already adjusted by the view's byte offset */
  return 1;
}

static int export_fn(napi_env env, napi_value exports, const char *name, napi_callback fn) {
  napi_value f;
  return napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, NULL, &f) == napi_ok &&
         napi_set_named_property(env, exports, name, f) == napi_ok;
}

NAPI_MODULE_INIT() {
  if (!export_fn(env, exports, "xor", shoal_chacha20_xor)) return NULL;
  if (!export_fn(env, exports, "aesCtr", shoal_aes256ctr_xor)) return NULL;
#ifdef __linux__
  if (!export_fn(env, exports, "syncfs", shoal_syncfs)) return NULL;
#endif
  return exports;
}
