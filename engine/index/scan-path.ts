import { promises as fsp, type Stats } from 'node:fs';
import path from 'node:path';
import { ShoalError } from '../errors.js';
import { checkRelPath } from '../model/paths.js';
import type { PartialHit } from '../model/host.js';
import type { IgnoreRules } from './ignore.js';
import {
  defaultHasher,
  entryFromHash,
  entryFromStats,
  isUnchanged,
  lstatIfExists,
  partialFor,
  type FileHasher,
  type PreviousStat,
  type ScanEntry,
  type ScanResult,
} from './scan-entry.js';

export interface ScanPathOptions {
  rules: IgnoreRules;
  previous: (path: string) => PreviousStat | undefined;
  signal?: AbortSignal;
  hasher?: FileHasher;
  /** A big file's chunks completed so far, while it is still being hashed. */
  onPartial?: (p: PartialHit) => void;
}

/**
 * - `gone`: nothing syncable is there any more (deleted, or now a symlink or special file,
 *   or reachable only through a symlinked parent);
 * - `ignored`: the rules exclude it;
 * - `unstable`: it changed while being hashed (entry: the stat it was opened with): ask
 *   again later (the watcher will, too).
 */
export type PathScan =
  | ScanResult
  | { status: 'gone'; path: string }
  | { status: 'ignored'; path: string }
  | { status: 'unstable'; path: string; entry: ScanEntry };

/**
 * Look at one path (after a watcher event): the same decisions as scanFolder, for a single
 * entry and without descending into folders (the watcher reports their contents itself).
 */
export async function scanPath(root: string, rel: string, opts: ScanPathOptions): Promise<PathScan> {
  const wire = checkRelPath(rel);
  const found = await locate(root, wire);
  if (!found) return { status: 'gone', path: wire };
  const { abs, st } = found;
  const kind = st.isDirectory() ? 'dir' : st.isFile() ? 'file' : null;
  if (!kind) return { status: 'gone', path: wire };
  if (opts.rules.matches(wire, kind === 'dir')) return { status: 'ignored', path: wire };
  const entry = entryFromStats(wire, kind, st);
  const prev = opts.previous(wire);
  if (isUnchanged(entry, prev)) return { status: 'unchanged', entry };
  if (kind === 'dir') return { status: 'changed', entry, chunks: [] };
  try {
    const h = await (opts.hasher ?? defaultHasher)(abs, { signal: opts.signal, sizeHint: entry.size, onPartial: partialFor(wire, opts.onPartial) });
    if (h.changedDuringHash) return { status: 'unstable', path: wire, entry: entryFromHash(wire, h) };
    return { status: 'changed', entry: entryFromHash(wire, h), chunks: h.chunks };
  } catch (err) {
    if (err instanceof ShoalError && err.code === 'BAD_PATH') return { status: 'gone', path: wire };
    throw err;
  }
}

/**
 * Find the entry for a wire path: lstat it, and make sure it is reached through real
 * folders (no symlinked parent). Disk names may be in another Unicode form than the wire
 * path (NFD from macOS on Linux), so on a miss the parent folder is searched by NFC name.
 */
async function locate(root: string, wire: string): Promise<{ abs: string; st: Stats } | null> {
  let dirAbs = root;
  const segs = wire.split('/');
  for (let i = 0; i < segs.length; i++) {
    const last = i === segs.length - 1;
    let abs = path.join(dirAbs, segs[i]!);
    let st = await lstatIfExists(abs);
    if (!st && /[^\x00-\x7f]/.test(segs[i]!)) {
      const name = await findByNfc(dirAbs, segs[i]!);
      if (name !== null) {
        abs = path.join(dirAbs, name);
        st = await lstatIfExists(abs);
      }
    }
    if (!st) return null;
    if (last) return { abs, st };
    if (!st.isDirectory()) return null; // symlinked or replaced parent: not part of the folder
    dirAbs = abs;
  }
  return null;
}

async function findByNfc(dirAbs: string, nfcName: string): Promise<string | null> {
  try {
    for (const name of await fsp.readdir(dirAbs)) if (name.normalize('NFC') === nfcName) return name;
  } catch {
    // the parent is gone too
  }
  return null;
}
