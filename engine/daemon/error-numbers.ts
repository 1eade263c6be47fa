import type { ErrorCode } from '../errors.js';

/**
 * BitTorrent Sync's API reported failures as `{ error: N, message }` with N != 0. These are
 * Shoal's N for each ErrorCode: part of the public API, so never renumber an entry; add new
 * codes with new numbers. (`satisfies` makes the compiler demand an entry for every code.)
 */
export const ERROR_NUMBERS = {
  INTERNAL: 1,
  BAD_REQUEST: 2,
  UNKNOWN_METHOD: 3,
  UNAUTHORIZED: 4,
  FORBIDDEN_ORIGIN: 5,
  SHUTTING_DOWN: 6,
  BAD_CONFIG: 7,
  BAD_SECRET: 100,
  BAD_PATH: 101,
  FOLDER_EXISTS: 102,
  FOLDER_NOT_FOUND: 103,
  FOLDER_PATH_MISSING: 104,
  FOLDER_READ_ONLY: 105,
  DISK_FULL: 200,
  IO_ERROR: 201,
  HASH_MISMATCH: 202,
  PROTOCOL_ERROR: 300,
  FRAME_TOO_LARGE: 301,
  HANDSHAKE_FAILED: 302,
  AUTH_FAILED: 303,
  BAD_SIGNATURE: 304,
  CLOCK_SKEW: 305,
  PEER_GONE: 306,
  TIMEOUT: 307,
  PAUSED: 308,
} as const satisfies Record<ErrorCode, number>;

export function errorNumber(code: ErrorCode): number {
  return ERROR_NUMBERS[code] ?? ERROR_NUMBERS.INTERNAL;
}
