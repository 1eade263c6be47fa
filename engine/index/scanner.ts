import { promises as fsp, type Dirent, type Stats } from 'node:fs';
import path from 'node:path';
import { isProgrammerError, ShoalError } from '../errors.js';
import { checkRelPath } from '../model/paths.js';
import type { PartialHit } from '../model/host.js';
import type { IgnoreRules } from './ignore.js';
import { SMALL_FILE } from './hasher.js';
import { Limiter } from './limit.js';
import {
  defaultHasher,
  entryFromHash,
  entryFromStats,
  isUnchanged,
  lstatIfExists,
  partialFor,
  type FileHasher,
  type PreviousStat,
  type ScanResult,
  type ScanWarning,
} from './scan-entry.js';

export * from './scan-entry.js';
export { scanPath, type PathScan, type ScanPathOptions } from './scan-path.js';

export interface ScanOptions {
  /** Absolute path of the folder root. */
  root: string;
  rules: IgnoreRules;
  /** What the index knows about a path (undefined: new). */
  previous: (path: string) => PreviousStat | undefined;
  /**
   * Called for every entry as soon as it is known (folders before their contents), so the
   * engine can offer indexed files while the rest is still hashing. Awaited: a slow
   * consumer slows the scan instead of piling up results.
   */
  onResult: (result: ScanResult) => void | Promise<void>;
  /** Paths in the index; those not found on disk come back in `gone`. */
  known?: Iterable<string>;
  onWarning?: (warning: ScanWarning) => void;
  /**
   * Files hashed at once (default 2: the hash is CPU-bound and there are 2 cores). Small
   * files (up to SMALL_FILE) do not count: they are bound by file system round trips,
   * and hasher.ts caps them separately; nor do files new to the index (not stat'ed first,
   * their size is unknown until the hasher opens them).
   */
  hashConcurrency?: number;
  /** Folders listed at once (default 4: keeps libuv's 4 threads busy with lstat). */
  dirConcurrency?: number;
  signal?: AbortSignal;
  hasher?: FileHasher;
  /** Big files' chunks completed so far, while they are still being hashed. */
  onPartial?: (p: PartialHit) => void;
}

export interface ScanSummary {
  /** Entries reported through onResult. */
  seen: number;
  /** Files whose content was hashed (the rest were unchanged). */
  hashed: number;
  /**
   * Known paths that are no longer on disk. Never includes paths that are now ignored,
   * nor paths under a folder that could not be read (unreadable is not deleted).
   */
  gone: string[];
  /** Files that changed while being hashed: scan them again later. */
  unstable: string[];
  /**
   * Paths that exist but could not be read (see warnings). Neither they nor anything below
   * them may be taken as deleted; `gone` already leaves them out.
   */
  unsure: string[];
  warnings: ScanWarning[];
}

/** Entries of one folder handled at once (bounds promises for huge folders). */
const ENTRY_WINDOW = 32;

/**
 * Walk a folder and report each file and folder as unchanged or changed (with chunks).
 * Symlinks and special files are skipped (not synced in this version, never followed);
 * ignored paths are never stat'ed below; names that are not valid wire paths are skipped
 * with a warning.
 */
export async function scanFolder(opts: ScanOptions): Promise<ScanSummary> {
  const { root, rules } = opts;
  // A failure anywhere stops the whole walk: no result is delivered after scanFolder rejects.
  const failed = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, failed.signal]) : failed.signal;
  const hasher = opts.hasher ?? defaultHasher;
  const dirLimit = new Limiter(opts.dirConcurrency ?? 4);
  const hashLimit = new Limiter(opts.hashConcurrency ?? 2);
  const seen = new Set<string>();
  /** Paths whose state is unknown (read errors): never reported gone, nor anything below. */
  const unsure = new Set<string>();
  const summary: ScanSummary = { seen: 0, hashed: 0, gone: [], unstable: [], unsure: [], warnings: [] };

  const warn = (p: string, err: unknown): void => {
    if (isProgrammerError(err)) throw err;
    const w: ScanWarning =
      err instanceof ShoalError
        ? { path: p, code: err.code, message: err.message }
        : { path: p, code: 'IO_ERROR', message: String((err as Error)?.message ?? err) };
    summary.warnings.push(w);
    opts.onWarning?.(w);
  };

  const emit = async (r: ScanResult): Promise<void> => {
    signal.throwIfAborted();
    summary.seen++;
    await opts.onResult(r);
  };

  const rootStat = await fsp.stat(root).catch(() => null);
  if (!rootStat?.isDirectory()) throw new ShoalError('FOLDER_PATH_MISSING', `Folder not found: ${root}`);

  const visitEntry = async (d: Dirent, dirOs: string, dirWire: string, onSubdir: (os: string, wire: string) => void): Promise<void> => {
    signal.throwIfAborted();
    if (d.isSymbolicLink()) return;
    const osRel = dirOs ? path.join(dirOs, d.name) : d.name;
    const wire = dirWire ? `${dirWire}/${d.name.normalize('NFC')}` : d.name.normalize('NFC');
    // Dirent types are free; lstat only if the file system did not say (DT_UNKNOWN).
    let st: Stats | undefined;
    let isDir = d.isDirectory();
    if (!isDir && !d.isFile()) {
      try {
        st = (await lstatIfExists(path.join(root, osRel))) ?? undefined;
      } catch (err) {
        unsure.add(wire);
        return warn(wire, err);
      }
      if (!st || !(st.isDirectory() || st.isFile())) return; // gone, symlink, fifo, socket, device
      isDir = st.isDirectory();
    }
    if (rules.matches(wire, isDir)) return;
    try {
      checkRelPath(wire);
    } catch (err) {
      return warn(wire, err);
    }
    if (seen.has(wire)) {
      // Two names that differ only in Unicode normalization: one wire path, keep the first.
      return warn(wire, new ShoalError('BAD_PATH', `Two names normalize to the same path; skipped one: ${wire}`));
    }
    seen.add(wire);
    const abs = path.join(root, osRel);
    if (!st && d.isFile() && opts.previous(wire) === undefined) {
      // A file the index does not know: nothing to compare a stat with, so no lstat; the
      // hasher's own fstat (on a descriptor opened without following symlinks) gives the
      // entry. sizeHint 0 sends it down the small-file path, which hands bigger files on
      // (then only hasher.ts's MAX_PARALLEL_HASHES bounds them, not hashConcurrency).
      return hashOne(abs, wire, 0);
    }
    try {
      st ??= await fsp.lstat(abs);
    } catch (err) {
      seen.delete(wire);
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      unsure.add(wire);
      return warn(wire, err);
    }
    const kind = st.isDirectory() ? 'dir' : st.isFile() ? 'file' : null;
    if (!kind) return void seen.delete(wire); // replaced by a symlink or special file since readdir
    const entry = entryFromStats(wire, kind, st);
    if (kind === 'dir') {
      if (isUnchanged(entry, opts.previous(wire))) await emit({ status: 'unchanged', entry });
      else await emit({ status: 'changed', entry, chunks: [] });
      onSubdir(osRel, wire); // after the folder's own result: folders come before their contents
      return;
    }
    if (isUnchanged(entry, opts.previous(wire))) return emit({ status: 'unchanged', entry });
    // Small files are bound by file system round trips, not CPU: hasher.ts limits them.
    if (entry.size <= SMALL_FILE) await hashOne(abs, wire, entry.size);
    else await hashLimit.run(() => hashOne(abs, wire, entry.size));
  };

  const hashOne = async (abs: string, wire: string, sizeHint: number): Promise<void> => {
    try {
      const h = await hasher(abs, { signal, sizeHint, onPartial: partialFor(wire, opts.onPartial) });
      summary.hashed++;
      if (h.changedDuringHash) summary.unstable.push(wire);
      else await emit({ status: 'changed', entry: entryFromHash(wire, h), chunks: h.chunks });
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      if (err instanceof ShoalError && err.code === 'BAD_PATH') return void seen.delete(wire); // vanished
      if (err instanceof ShoalError && err.code === 'IO_ERROR') {
        unsure.add(wire);
        return warn(wire, err);
      }
      throw err;
    }
  };

  /**
   * Subfolders are walked as soon as they are found, and a folder's entries flow through
   * ENTRY_WINDOW lanes: nothing waits for a big file's hash but what needs its slot (the
   * small files of a folder holding one big file used to wait until it was hashed).
   */
  const visitDir = async (dirOs: string, dirWire: string): Promise<void> => {
    const children: Array<Promise<void>> = [];
    const onSubdir = (os: string, wire: string): void => {
      const child = visitDir(os, wire);
      child.catch(() => undefined); // awaited below; not "unhandled" meanwhile
      children.push(child);
    };
    await dirLimit.run(async () => {
      signal.throwIfAborted();
      let entries: Dirent[];
      try {
        entries = await readDir(path.join(root, dirOs));
      } catch (err) {
        if (dirOs === '') throw new ShoalError('FOLDER_PATH_MISSING', `Cannot read folder ${root}`, { cause: err });
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
          unsure.add(dirWire);
          warn(dirWire, new ShoalError('IO_ERROR', `Cannot list ${dirWire}: ${(err as Error).message}`));
        }
        return;
      }
      let next = 0;
      const lane = async (): Promise<void> => {
        while (next < entries.length) await visitEntry(entries[next++]!, dirOs, dirWire, onSubdir);
      };
      await Promise.all(Array.from({ length: Math.min(ENTRY_WINDOW, entries.length) }, lane));
    });
    await Promise.all(children);
  };

  try {
    await visitDir('', '');
  } catch (err) {
    failed.abort(err);
    throw opts.signal?.aborted ? opts.signal.reason : err;
  }

  summary.unsure = [...unsure];
  for (const p of opts.known ?? []) {
    if (seen.has(p) || isUnder(p, unsure)) continue;
    if (rules.matches(p, false) || rules.matches(p, true)) continue; // now ignored: not deleted
    summary.gone.push(p);
  }
  return summary;
}

async function readDir(abs: string): Promise<Dirent[]> {
  const dir = await fsp.opendir(abs, { bufferSize: 256 });
  const out: Dirent[] = [];
  for await (const d of dir) out.push(d); // closes the handle at the end or on error
  return out;
}

/** Is p, or one of its parent folders, in the set? */
export function isUnder(p: string, set: ReadonlySet<string>): boolean {
  if (set.size === 0) return false;
  for (let i = p.length; i > 0; i = p.lastIndexOf('/', i - 1)) {
    if (set.has(p.slice(0, i))) return true;
  }
  return false;
}
