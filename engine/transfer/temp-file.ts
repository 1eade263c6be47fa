import { constants, openSync, unlinkSync } from 'node:fs';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import sodium from 'sodium-native';
import { MAX_NAME_BYTES, TEMP_SUFFIX } from '../model/paths.js';
import { errnoOf, fsError } from './errors.js';

/**
 * The `<name>.!sync` file a target is built in: next to the target so the final rename is
 * atomic (same filesystem), and named so the watcher and scanner skip it (isInternalPath).
 */

/** Names near the 255-byte limit get a shortened, hash-tagged stem so the temp name stays legal. */
export function tempPathFor(targetAbs: string): string {
  const dir = path.dirname(targetAbs);
  const base = path.basename(targetAbs);
  if (Buffer.byteLength(base + TEMP_SUFFIX) <= MAX_NAME_BYTES) return path.join(dir, base + TEMP_SUFFIX);
  const tag = shortHash(base);
  const room = MAX_NAME_BYTES - Buffer.byteLength(TEMP_SUFFIX) - tag.length - 1;
  return path.join(dir, `${truncateUtf8(base, room)}~${tag}${TEMP_SUFFIX}`);
}

// O_NOFOLLOW: a symlink planted at the temp name must not redirect our writes elsewhere.
const NOFOLLOW = constants.O_NOFOLLOW ?? 0;
// O_EXCL also refuses to follow a symlink at the name (EEXIST), dangling or not.
const CREATE_NEW = constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | NOFOLLOW;
const REOPEN = constants.O_RDWR | NOFOLLOW;

export interface OpenedTemp {
  fh: FileHandle;
  /** True when a temp file from an earlier run was reopened (its content may be resumable). */
  existed: boolean;
}

/**
 * Open the temp file; the common case (no leftover) costs exactly one open().
 * `reuse`: keep a leftover temp's bytes (resume). Otherwise - or when the leftover is not
 * a plain file (a symlink, say) - it is replaced by a fresh file, so its mode and
 * contents never leak into the new one.
 */
export async function openTemp(tempAbs: string, reuse: boolean): Promise<OpenedTemp> {
  try {
    return { fh: await open(tempAbs, CREATE_NEW, 0o666), existed: false };
  } catch (err) {
    if (errnoOf(err) !== 'EEXIST') throw fsError(err, tempAbs, 'create');
  }
  if (reuse) {
    try {
      return { fh: await open(tempAbs, REOPEN), existed: true };
    } catch (err) {
      const code = errnoOf(err);
      // ELOOP (EMLINK on BSD): a symlink. ENOENT: removed meanwhile. Both: start fresh.
      if (code !== 'ELOOP' && code !== 'EMLINK' && code !== 'ENOENT') throw fsError(err, tempAbs, 'open');
    }
  }
  await removeQuietly(tempAbs);
  try {
    return { fh: await open(tempAbs, CREATE_NEW, 0o666), existed: false };
  } catch (err) {
    throw fsError(err, tempAbs, 'create');
  }
}

/**
 * A fresh temp file, with synchronous calls (small-file.ts): a leftover at the name is
 * removed first (a whole small file is rewritten; nothing there is worth resuming).
 * Returns the descriptor.
 */
export function openFreshTempSync(tempAbs: string): number {
  try {
    return openSync(tempAbs, CREATE_NEW, 0o666);
  } catch (err) {
    if (errnoOf(err) !== 'EEXIST') throw fsError(err, tempAbs, 'create');
  }
  removeQuietlySync(tempAbs);
  try {
    return openSync(tempAbs, CREATE_NEW, 0o666);
  } catch (err) {
    throw fsError(err, tempAbs, 'create');
  }
}

export function removeQuietlySync(abs: string): void {
  try {
    unlinkSync(abs);
  } catch (err) {
    if (errnoOf(err) !== 'ENOENT') throw fsError(err, abs, 'remove');
  }
}

/** unlink that treats "already gone" as success. */
export async function removeQuietly(abs: string): Promise<void> {
  try {
    await unlink(abs);
  } catch (err) {
    if (errnoOf(err) !== 'ENOENT') throw fsError(err, abs, 'remove');
  }
}

function shortHash(s: string): string {
  const out = Buffer.alloc(16);
  sodium.crypto_generichash(out, Buffer.from(s));
  return out.toString('hex').slice(0, 12);
}

/** Longest prefix of `s` that fits in `maxBytes` without splitting a character. */
function truncateUtf8(s: string, maxBytes: number): string {
  let bytes = 0;
  let end = 0;
  for (const ch of s) {
    const n = Buffer.byteLength(ch);
    if (bytes + n > maxBytes) break;
    bytes += n;
    end += ch.length;
  }
  return s.slice(0, end);
}
