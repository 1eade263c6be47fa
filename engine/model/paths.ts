import { ShoalError } from '../errors.js';

/** Names the engine owns inside a synced folder; they never sync in either direction. */
export const ARCHIVE_DIR = '.SyncArchive';
export const TEMP_SUFFIX = '.!sync';
export const IGNORE_FILE = '.SyncIgnore';
/** Per-folder marker/metadata directory (BTSync kept `.sync/`). */
export const META_DIR = '.sync';

export const MAX_PATH_BYTES = 4096;
export const MAX_NAME_BYTES = 255;

/** True for paths the engine itself owns (archive, temp files, metadata). */
export function isInternalPath(rel: string): boolean {
  const first = rel.split('/', 1)[0];
  if (first === ARCHIVE_DIR || first === META_DIR) return true;
  const base = rel.slice(rel.lastIndexOf('/') + 1);
  return base.endsWith(TEMP_SUFFIX);
}

/**
 * Validate a folder-relative path from an untrusted source (a peer, the API).
 * Accepts only '/'-separated, normalized (NFC), relative paths without `.`/`..`
 * segments, NUL, backslashes or drive letters, and never one of the engine's own names.
 */
export function checkRelPath(p: unknown): string {
  if (typeof p !== 'string' || p.length === 0) throw bad('Path is empty');
  if (Buffer.byteLength(p) > MAX_PATH_BYTES) throw bad('Path is too long');
  if (p.includes('\0')) throw bad('Path contains a NUL character');
  if (p.includes('\\')) throw bad('Path contains a backslash');
  if (p.startsWith('/') || /^[a-zA-Z]:/.test(p)) throw bad(`Absolute paths are not allowed: ${p}`);
  if (p.normalize('NFC') !== p) throw bad('Path is not in Unicode normal form C');
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.' || seg === '..') throw bad(`Path has an empty, '.' or '..' segment: ${p}`);
    if (Buffer.byteLength(seg) > MAX_NAME_BYTES) throw bad('A path segment is too long');
  }
  if (isInternalPath(p)) throw bad(`Path is reserved for Shoal's own files: ${p}`);
  return p;
}

/** Convert an OS-relative path (e.g. from path.relative) to the wire form. */
export function toRelPath(osRelative: string): string {
  return osRelative.split(/[\\/]+/).join('/').normalize('NFC');
}

function bad(message: string): ShoalError {
  return new ShoalError('BAD_PATH', message);
}
