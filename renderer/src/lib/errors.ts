import type { ErrorData } from '../../../engine/api/error-data.js';

/**
 * Turning engine errors into what the UI shows. The message is written for people already
 * (engine/errors.ts); the code decides where it appears (which field, whether to sign in).
 */

/** A failure of something the UI itself did (a clipboard refusal, a JS exception) as ErrorData. */
export function toErrorData(err: unknown): ErrorData {
  if (typeof err === 'object' && err !== null && 'code' in err && 'message' in err) {
    const e = err as { code: unknown; message: unknown };
    if (typeof e.code === 'string' && typeof e.message === 'string') return { code: e.code as ErrorData['code'], message: e.message };
  }
  return { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) };
}

/**
 * Which key of a setPrefs / setFolderPrefs call a parameter error is about:
 * "setPrefs: prefs.listening_port: must be a port number 0..65535" -> "listening_port".
 */
export function prefKeyOfError(error: ErrorData): string | null {
  if (error.code !== 'BAD_REQUEST' && error.code !== 'BAD_CONFIG') return null;
  const m = /\bprefs\.([a-z_]+)\b/.exec(error.message);
  return m ? m[1]! : null;
}

/**
 * The field of the Add Folder dialog an addFolder error belongs to. FOLDER_EXISTS has two
 * causes: the same path is synced already ("<dir> is already synced") or the same secret
 * is ("This folder is already synced (<its path>)"): the message names the path it is about.
 */
export function addFolderErrorField(error: ErrorData, dir: string): 'secret' | 'dir' | 'form' {
  switch (error.code) {
    case 'BAD_SECRET':
      return 'secret';
    case 'FOLDER_EXISTS':
      return dir.trim() !== '' && error.message.startsWith(dir.trim()) ? 'dir' : 'secret';
    case 'BAD_PATH':
    case 'FOLDER_PATH_MISSING':
      return 'dir';
    case 'BAD_REQUEST':
      if (/\bsecret\b/.test(error.message)) return 'secret';
      if (/\bdir\b/.test(error.message)) return 'dir';
      return 'form';
    default:
      return 'form';
  }
}
