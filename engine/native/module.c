/* The module's entry point and the helpers its functions share (see shoal-native.h). */
#include "shoal-native.h"

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
#ifdef __linux__
  if (!export_fn(env, exports, "syncfs", shoal_syncfs)) return NULL;
#endif
  return exports;
}
