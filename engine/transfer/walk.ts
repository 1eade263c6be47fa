import type { Dirent } from 'node:fs';
import { opendir } from 'node:fs/promises';
import path from 'node:path';
import { errnoOf } from './errors.js';

/**
 * Depth-first walk that never follows symbolic links (a link to `/` inside a folder must
 * not turn a cleanup into a walk of the whole disk). Children are visited before their
 * directory's `onDirDone`, so callers can remove now-empty directories bottom-up.
 */
export interface WalkVisitor {
  onFile(abs: string, entry: Dirent): Promise<void> | void;
  onDirDone?(abs: string): Promise<void> | void;
  /** Return false to skip a directory entirely. */
  enterDir?(abs: string, entry: Dirent): boolean;
}

export async function walkNoFollow(dirAbs: string, v: WalkVisitor): Promise<void> {
  let dir;
  try {
    dir = await opendir(dirAbs);
  } catch (err) {
    const code = errnoOf(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return; // removed while walking
    throw err;
  }
  const subdirs: Array<[string, Dirent]> = [];
  for await (const entry of dir) {
    const abs = path.join(dirAbs, entry.name);
    if (entry.isDirectory()) subdirs.push([abs, entry]);
    else await v.onFile(abs, entry);
  }
  for (const [abs, entry] of subdirs) {
    if (v.enterDir && !v.enterDir(abs, entry)) continue;
    await walkNoFollow(abs, v);
    await v.onDirDone?.(abs);
  }
}
