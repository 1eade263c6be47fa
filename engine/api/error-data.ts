/**
 * Error data as it crosses every API boundary (HTTP, RPC, preload): a stable `code` that
 * callers branch on and a message a person can act on, never a stack trace. Pure types, so
 * the renderer can import them without Node.
 */
export type ErrorCode =
  | 'BAD_SECRET'
  | 'BAD_PATH'
  | 'BAD_REQUEST'
  | 'BAD_CONFIG'
  | 'FOLDER_EXISTS'
  | 'FOLDER_NOT_FOUND'
  | 'FOLDER_PATH_MISSING'
  | 'FOLDER_READ_ONLY'
  | 'DISK_FULL'
  | 'IO_ERROR'
  | 'HASH_MISMATCH'
  | 'PROTOCOL_ERROR'
  | 'FRAME_TOO_LARGE'
  | 'HANDSHAKE_FAILED'
  | 'AUTH_FAILED'
  | 'BAD_SIGNATURE'
  | 'CLOCK_SKEW'
  | 'PEER_GONE'
  | 'TIMEOUT'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN_ORIGIN'
  | 'UNKNOWN_METHOD'
  | 'SHUTTING_DOWN'
  | 'PAUSED'
  | 'INTERNAL';

export interface ErrorData {
  code: ErrorCode;
  message: string;
}

const CODES: ReadonlySet<string> = new Set<ErrorCode>([
  'BAD_SECRET',
  'BAD_PATH',
  'BAD_REQUEST',
  'BAD_CONFIG',
  'FOLDER_EXISTS',
  'FOLDER_NOT_FOUND',
  'FOLDER_PATH_MISSING',
  'FOLDER_READ_ONLY',
  'DISK_FULL',
  'IO_ERROR',
  'HASH_MISMATCH',
  'PROTOCOL_ERROR',
  'FRAME_TOO_LARGE',
  'HANDSHAKE_FAILED',
  'AUTH_FAILED',
  'BAD_SIGNATURE',
  'CLOCK_SKEW',
  'PEER_GONE',
  'TIMEOUT',
  'UNAUTHORIZED',
  'FORBIDDEN_ORIGIN',
  'UNKNOWN_METHOD',
  'SHUTTING_DOWN',
  'PAUSED',
  'INTERNAL',
]);

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && CODES.has(value);
}
