import { constants, type Stats } from 'node:fs';
import { chmod, copyFile, lstat, lutimes, readdir, readlink, rename, symlink, unlink } from 'node:fs/promises';
import path from 'node:path';
import { ShoalError } from '../errors.js';
import { ARCHIVE_DIR } from '../model/paths.js';
import { errnoOf, fsError } from '../transfer/errors.js';
import { toUtimeSeconds } from '../transfer/file-meta.js';
import { resolveInRoot, resolveSegments } from '../transfer/safe-path.js';
import { removeQuietly } from '../transfer/temp-file.js';
import { withLock } from './lock.js';
import { nextVersionName } from './naming.js';

export { cleanupArchive, type CleanupResult } from './cleanup.js';

/**
 * `.SyncArchive/` in the folder root keeps what sync deletes or overwrites, at the same
 * relative path, numbered when a name repeats (see naming.ts). Archived files get
 * mtime = archive time, so the TTL cleanup counts from when a file was archived.
 */

export interface ArchiveOptions {
  /** max_file_size_for_versioning in bytes; bigger files are not kept (caller deletes). */
  maxSizeBytes: number;
  /** Archive time (tests); defaults to now. */
  nowMs?: number;
}

export type ArchiveResult =
  | { archived: true; /** Root-relative, '/'-separated, e.g. `.SyncArchive/docs/a.1.txt`. */ archivedAs: string }
  | { archived: false; reason: 'missing' | 'too-big' | 'not-a-file' };

/** Move the file at folder-relative `rel` into the archive. */
export async function archiveFile(root: string, rel: string, opts: ArchiveOptions): Promise<ArchiveResult> {
  return archiveAbs(root, await resolveInRoot(root, rel), opts);
}

/**
 * Same for an absolute path inside `root` - what FileAssembler.finalize and applyDelete
 * hand to their `archive` callback (names read from disk may not be NFC, so they are not
 * forced through checkRelPath).
 */
export async function archiveAbs(root: string, abs: string, opts: ArchiveOptions): Promise<ArchiveResult> {
  const rootAbs = path.resolve(root);
  const segments = path.relative(rootAbs, path.resolve(abs)).split(path.sep);
  if (segments[0] === ARCHIVE_DIR) throw new ShoalError('BAD_PATH', `${abs} is already in the archive`);
  const src = await resolveSegments(rootAbs, segments); // refuses escapes and symlinked parents
  let st: Stats;
  try {
    st = await lstat(src);
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return { archived: false, reason: 'missing' };
    throw fsError(err, src, 'inspect');
  }
  if (!st.isFile() && !st.isSymbolicLink()) return { archived: false, reason: 'not-a-file' };
  if (st.size > opts.maxSizeBytes) return { archived: false, reason: 'too-big' };

  const name = segments[segments.length - 1]!;
  const dirSegs = [ARCHIVE_DIR, ...segments.slice(0, -1)];
  const probe = await resolveSegments(rootAbs, [...dirSegs, name], { createParents: true });
  const destDir = path.dirname(probe);
  return withLock(destDir, async (): Promise<ArchiveResult> => {
    const destName = nextVersionName(name, await listNames(destDir));
    const dest = path.join(destDir, destName);
    if (!(await moveNoReplace(src, dest, st))) return { archived: false, reason: 'missing' };
    const now = toUtimeSeconds(opts.nowMs ?? Date.now());
    await lutimes(dest, now, now).catch((err: unknown) => {
      // The file is safe in the archive; a wrong timestamp only shifts its expiry.
      if (errnoOf(err) !== 'ENOSYS' && errnoOf(err) !== 'EPERM') throw fsError(err, dest, 'timestamp');
    });
    return { archived: true, archivedAs: [...dirSegs, destName].join('/') };
  });
}

/** ArchiveFn for finalize()/applyDelete(): archive whatever absolute path they pass. */
export function archiverFor(root: string, opts: ArchiveOptions): (abs: string) => Promise<ArchiveResult> {
  return (abs) => archiveAbs(root, abs, opts);
}

async function listNames(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return [];
    throw fsError(err, dir, 'list');
  }
}

/**
 * rename, or copy + unlink when the archive is on another device. Never overwrites.
 * False when the source vanished meanwhile (someone else archived or deleted it).
 */
async function moveNoReplace(src: string, dest: string, st: Stats): Promise<boolean> {
  if (await exists(dest)) throw new ShoalError('IO_ERROR', `${dest} appeared while archiving; nothing was moved.`);
  try {
    await rename(src, dest);
    return true;
  } catch (err) {
    const code = errnoOf(err);
    if (code === 'ENOENT') return false;
    if (code !== 'EXDEV') throw fsError(err, src, 'archive');
  }
  try {
    if (st.isSymbolicLink()) {
      await symlink(await readlink(src), dest);
    } else {
      await copyFile(src, dest, constants.COPYFILE_EXCL);
      await chmod(dest, st.mode & 0o7777).catch(() => {});
    }
  } catch (err) {
    await removeQuietly(dest).catch(() => {}); // a partial copy is worth nothing
    throw fsError(err, dest, 'archive');
  }
  // Only now, with a complete copy in the archive, does the original go.
  await removeQuietly(src);
  return true;
}

async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return false;
    throw fsError(err, p, 'inspect');
  }
}
