import type { Dirent } from 'node:fs';
import { lstat, mkdir, readdir, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { ShoalError } from '../errors.js';
import type { EntryKind } from '../model/record.js';
import { checkTarget, type ArchiveFn, type ExpectedFile } from './commit.js';
import { LocalChangeError, errnoOf, fsError } from './errors.js';
import { resolveInRoot } from './safe-path.js';
import { removeQuietly } from './temp-file.js';

/**
 * On-disk changes other than writing a file: deleting and creating folders. Renames are
 * a delete plus an add whose chunks are copied locally, so there is no applyRename.
 */

export interface DeleteOptions {
  /**
   * What the index says is being deleted. If the disk holds the other kind (the user put
   * a folder where the file was, or a file where the folder was), it is left alone: false.
   */
  kind?: EntryKind;
  /** Called before a file is removed; null = versioning off (the file is just removed). */
  archive: ArchiveFn | null;
  /** For a file: it must still be this one, else LocalChangeError and it is kept. */
  expectOld?: ExpectedFile;
  /**
   * For a folder: may this leftover entry be removed? `rel` is folder-relative ('/', NFC).
   * Say yes only for entries whose content the index knows is synced (and e.g. ignored
   * junk or our own temp files); approved files are archived like any deleted file.
   */
  isSynced?: (rel: string, isDir: boolean) => boolean;
}

/**
 * Delete `rel`. A file is archived, then removed. A folder is removed only once it is
 * empty after removing the entries `isSynced` approves; anything unknown keeps it (false).
 * True when nothing is left at `rel` (including "was already gone"); false when
 * something was deliberately kept there.
 */
export async function applyDelete(root: string, rel: string, opts: DeleteOptions): Promise<boolean> {
  const abs = await resolveInRoot(root, rel);
  let st;
  try {
    st = await lstat(abs);
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return true;
    throw fsError(err, abs, 'inspect');
  }
  if (opts.kind && (opts.kind === 'dir') !== st.isDirectory()) return false;
  if (st.isDirectory()) return deleteDir(abs, rel, opts);
  if (opts.expectOld) await checkTarget(abs, opts.expectOld);
  await archiveThenRemove(abs, opts.archive);
  return true;
}

/** mkdir -p `rel` with the record's permission bits (owner always keeps rwx). True if created. */
export async function applyDir(root: string, rel: string, mode: number): Promise<boolean> {
  const abs = await resolveInRoot(root, rel, { createParents: true });
  try {
    await mkdir(abs, { mode: (mode & 0o777) | 0o700 });
    return true;
  } catch (err) {
    if (errnoOf(err) !== 'EEXIST') throw fsError(err, abs, 'create the folder');
  }
  const st = await lstat(abs).catch((err: unknown) => {
    throw fsError(err, abs, 'inspect');
  });
  if (st.isDirectory()) return false;
  if (st.isSymbolicLink()) throw new ShoalError('BAD_PATH', `${abs} is a symbolic link, not a folder; it was left alone.`);
  throw new LocalChangeError(abs, `${abs} is a file on this device, but the folder needs a folder there.`);
}

async function archiveThenRemove(abs: string, archive: ArchiveFn | null): Promise<void> {
  if (archive) {
    const res = await archive(abs);
    if (res && res.archived) return; // moved away: never unlink whatever may appear there now
  }
  await removeQuietly(abs);
}

async function deleteDir(abs: string, rel: string, opts: DeleteOptions): Promise<boolean> {
  let entries: Dirent[];
  try {
    entries = await readdir(abs, { withFileTypes: true });
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return true;
    throw fsError(err, abs, 'list');
  }
  let empty = true;
  for (const e of entries) {
    const childAbs = path.join(abs, e.name);
    const childRel = `${rel}/${e.name.normalize('NFC')}`;
    const isDir = e.isDirectory();
    if (!opts.isSynced?.(childRel, isDir)) {
      empty = false; // unknown to the index: the user's, keep it
      continue;
    }
    if (isDir) {
      if (!(await deleteDir(childAbs, childRel, opts))) empty = false;
    } else {
      await archiveThenRemove(childAbs, opts.archive);
    }
  }
  if (!empty) return false;
  try {
    await rmdir(abs);
    return true;
  } catch (err) {
    const code = errnoOf(err);
    if (code === 'ENOENT') return true;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') return false; // something appeared meanwhile
    throw fsError(err, abs, 'remove');
  }
}
