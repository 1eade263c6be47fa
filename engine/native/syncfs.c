/*
 * syncfs(2) for Node, which has no binding for it: write back every dirty page and inode of
 * the file system that holds `fd`, wait for the disk, and flush its cache - what fsync does
 * for one file, for all of them in one go. engine/transfer/batch-sync.ts decides when that
 * is the cheaper way to make a batch of small files durable (and when it is not safe to).
 *
 *   syncfs(fd): 0, or the errno it failed with (Linux reports write-back errors here since
 *   5.8; batch-sync.ts uses it only on such kernels). Blocking: call it from a worker thread.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <unistd.h>

#include "shoal-native.h"

napi_value shoal_syncfs(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 1 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0)
    return shoal_fail(env, "ERR_INVALID_ARG", "syncfs(fd): fd must be a file descriptor");
  int err = syncfs(fd) == 0 ? 0 : errno;
  napi_value result;
  if (napi_create_int32(env, err, &result) != napi_ok) return NULL;
  return result;
}
