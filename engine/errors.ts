/**
 * Every error the engine shows to a user or sends across an API carries a stable `code`
 * (callers branch on it, never on message text) and a message a person can act on.
 */
import type { ErrorCode, ErrorData } from './api/error-data.js';

export type { ErrorCode, ErrorData } from './api/error-data.js';

export class ShoalError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ShoalError';
    this.code = code;
  }
}

/** What crosses an API boundary: data, never a stack trace. */
export function toErrorData(err: unknown): ErrorData {
  if (err instanceof ShoalError) return { code: err.code, message: err.message };
  const sys = err as NodeJS.ErrnoException | undefined;
  if (sys && typeof sys.code === 'string') {
    if (sys.code === 'ENOSPC') return { code: 'DISK_FULL', message: 'The disk is full.' };
    if (sys.code === 'ENOENT') return { code: 'BAD_PATH', message: `Path not found: ${sys.path ?? ''}`.trim() };
    if (sys.code === 'EACCES' || sys.code === 'EPERM') {
      return { code: 'IO_ERROR', message: `Permission denied: ${sys.path ?? ''}`.trim() };
    }
    return { code: 'IO_ERROR', message: `${sys.code}: ${sys.message}` };
  }
  return { code: 'INTERNAL', message: 'Internal error' };
}

/** Programmer errors must surface, not be swallowed by blanket catches. */
export function isProgrammerError(err: unknown): boolean {
  return err instanceof TypeError || err instanceof ReferenceError || err instanceof RangeError && !(err instanceof ShoalError);
}
