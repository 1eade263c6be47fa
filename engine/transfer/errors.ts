import { ShoalError } from '../errors.js';

/**
 * Turning fs failures into ShoalErrors. Every place that writes to a synced folder goes
 * through here, so "disk full" reads the same everywhere and callers branch on `code`.
 */

/** ENOSPC and EDQUOT both mean "no room left" to the user. */
export function isNoSpace(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

export function errnoOf(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function diskFull(path: string, cause?: unknown): ShoalError {
  return new ShoalError('DISK_FULL', `The disk is full: ${path} could not be written.`, { cause });
}

/**
 * Wrap an fs error raised while working on `path`. ShoalErrors pass through unchanged
 * (they already say what went wrong); programmer errors are not disguised as I/O.
 */
export function fsError(err: unknown, path: string, action: string): Error {
  if (err instanceof ShoalError) return err;
  if (isNoSpace(err)) return diskFull(path, err);
  const code = errnoOf(err);
  if (!code) return err instanceof Error ? err : new ShoalError('INTERNAL', String(err));
  if (code === 'EACCES' || code === 'EPERM') {
    return new ShoalError('IO_ERROR', `Permission denied: could not ${action} ${path}.`, { cause: err });
  }
  return new ShoalError('IO_ERROR', `Could not ${action} ${path} (${code}).`, { cause: err });
}

/**
 * The file on disk is not what the index said it was: the user changed it (or put
 * something in its place) while we were working. The engine leaves it alone and rescans.
 *
 * Carries code IO_ERROR until errors.ts gains a dedicated 'LOCAL_CHANGE' code; until then
 * callers recognise it with `isLocalChange(err)` rather than by message text.
 */
export class LocalChangeError extends ShoalError {
  readonly localChange = true as const;
  readonly path: string;
  constructor(path: string, message: string) {
    super('IO_ERROR', message);
    this.name = 'LocalChangeError';
    this.path = path;
  }
}

export function isLocalChange(err: unknown): err is LocalChangeError {
  return err instanceof LocalChangeError;
}
