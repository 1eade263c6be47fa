import type { Dir } from 'node:fs';
import { opendir } from 'node:fs/promises';
import { isProgrammerError, type ShoalError } from '../errors.js';
import type { LocalStat } from '../model/entry.js';
import type { Indexer, PartialHit, ScanHit } from '../model/host.js';
import { IGNORE_FILE, isInternalPath } from '../model/paths.js';
import { hashWorker } from './hash-pool.js';
import { IgnoreRules } from './ignore.js';
import { RECLAIM_AFTER_HASHES, reclaimAfterScan } from './reclaim.js';
import { isUnder, scanFolder, scanPath, type FileHasher, type ScanResult, type ScanWarning } from './scanner.js';
import { FolderWatcher } from './watcher.js';

export interface FolderIndexerOptions {
  /** Watcher quiet time per path (default 30 ms). */
  debounceMs?: number;
  /** How often the watcher checks the root is still there (default 2 s). */
  rootCheckMs?: number;
  /** How long before a file that changed while hashed is looked at again (default 1 s). */
  retryUnstableMs?: number;
  hasher?: FileHasher;
  /** Unreadable paths and watch failures; the folder keeps going. */
  onWarning?: (warning: ScanWarning | ShoalError) => void;
}

/** Entries looked at by holdsUserEntries before it gives up (a folder of only our own names). */
const LOOK_AT_MOST = 16;

/** Does the folder's top level hold something that is not the engine's own (.sync, temps...)? */
async function holdsUserEntries(root: string): Promise<boolean> {
  let dir: Dir | null = null;
  try {
    dir = await opendir(root);
    for (let i = 0; i < LOOK_AT_MOST; i++) {
      const e = await dir.read();
      if (!e) return false;
      if (!isInternalPath(e.name)) return true;
    }
    return false;
  } catch {
    return false; // unreadable: the scan reports it
  } finally {
    await dir?.close().catch(() => undefined);
  }
}

/**
 * The index side of one folder as the folder model uses it (Indexer in model/host.ts):
 * full scans, single-path scans after watcher events, `.SyncIgnore` rules and the watcher.
 * Rules start as the built-ins; the model calls reloadIgnores() before its first scan.
 */
export class FolderIndexer implements Indexer {
  private rules: IgnoreRules = IgnoreRules.parse('');
  private watcher: FolderWatcher | null = null;
  private onPath: ((rel: string) => void) | null = null;
  private readonly stop = new AbortController();
  private readonly retryTimers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly root: string,
    private readonly opts: FolderIndexerOptions = {},
  ) {}

  async reloadIgnores(): Promise<void> {
    this.rules = await IgnoreRules.load(this.root);
    await this.watcher?.setRules(this.rules);
  }

  ignored(rel: string, isDir: boolean): boolean {
    return this.rules.matches(rel, isDir);
  }

  /**
   * Full scan. The returned set answers has() for every path present, and also for paths
   * that could not be read and everything below them: unreadable is not deleted.
   */
  async scanAll(previous: (p: string) => LocalStat | undefined, onHit: (h: ScanHit) => void, onPartial?: (p: PartialHit) => void): Promise<Set<string>> {
    const present = new PresentSet();
    const summary = await scanFolder({
      root: this.root,
      rules: this.rules,
      previous,
      signal: this.stop.signal,
      hasher: this.opts.hasher,
      onWarning: this.opts.onWarning,
      onPartial,
      onResult: (r) => {
        present.add(r.entry.path);
        onHit(toHit(r));
      },
    });
    // Changed while hashed: present (not gone), and looked at again shortly.
    for (const p of summary.unstable) {
      present.add(p);
      this.retryLater(p);
    }
    for (const p of summary.unsure) present.unsure.add(p);
    if (summary.hashed >= RECLAIM_AFTER_HASHES) reclaimAfterScan();
    return present;
  }

  /** null: nothing syncable at `rel` any more (deleted, or ignored). */
  async scanOne(rel: string, previous: LocalStat | undefined, onPartial?: (p: PartialHit) => void): Promise<ScanHit | null> {
    const r = await scanPath(this.root, rel, {
      rules: this.rules,
      previous: () => previous,
      signal: this.stop.signal,
      hasher: this.opts.hasher,
      onPartial,
    });
    switch (r.status) {
      case 'gone':
      case 'ignored':
        return null;
      case 'unstable':
        // Being written right now: "no content change" for the moment (null would read as
        // a deletion), and look again shortly.
        this.retryLater(rel);
        return { ...r.entry, chunks: null };
      default:
        return toHit(r);
    }
  }

  async watch(onPath: (rel: string) => void, onRootGone: () => void, onEventsLost: () => void): Promise<void> {
    if (this.watcher || this.stop.signal.aborted) return;
    this.onPath = onPath;
    const w = new FolderWatcher({ root: this.root, rules: this.rules, debounceMs: this.opts.debounceMs, rootCheckMs: this.opts.rootCheckMs });
    this.watcher = w;
    w.on('change', onPath);
    w.on('rootGone', onRootGone);
    w.on('eventsMayBeLost', onEventsLost);
    // Reload here so ignored() is right at once; then tell the folder (its path is
    // IGNORE_FILE), which should rescan to pick up what the new rules no longer ignore.
    w.on('ignoreFileChanged', () => {
      this.reloadIgnores().then(
        () => this.onPath?.(IGNORE_FILE),
        (err: unknown) => {
          if (isProgrammerError(err)) throw err;
          this.opts.onWarning?.(err as ShoalError);
        },
      );
    });
    w.on('error', (err) => this.opts.onWarning?.(err));
    await w.start();
  }

  /**
   * A first scan is coming: start the hash worker now if the folder holds anything of the
   * user's (a folder that only receives would start it for nothing: ~0.1 CPU-s of thread
   * start beside the first download). Only hashFile, the default hasher, uses the worker.
   */
  async warmUp(): Promise<void> {
    if (this.opts.hasher || this.stop.signal.aborted) return;
    if (!(await holdsUserEntries(this.root)) || this.stop.signal.aborted) return;
    try {
      hashWorker.warmUp();
    } catch {
      // no thread now: the first big file starts one, as it would have anyway
    }
  }

  /** See FolderWatcher.expectOwnRename (a no-op while nothing is watched). */
  expectOwnRename(rel: string): (landed: boolean) => void {
    return this.watcher?.expectOwnRename(rel) ?? (() => {});
  }

  /** Idempotent: stops the watcher and any scan in progress. */
  async close(): Promise<void> {
    this.stop.abort(new Error('Folder indexer closed'));
    for (const t of this.retryTimers) clearTimeout(t);
    this.retryTimers.clear();
    this.onPath = null;
    await this.watcher?.close();
  }

  private retryLater(rel: string): void {
    if (this.stop.signal.aborted) return;
    const t = setTimeout(() => {
      this.retryTimers.delete(t);
      this.onPath?.(rel);
    }, this.opts.retryUnstableMs ?? 1000);
    t.unref();
    this.retryTimers.add(t);
  }
}

function toHit(r: ScanResult): ScanHit {
  return { ...r.entry, chunks: r.status === 'changed' ? r.chunks : null };
}

/** The paths a scan found; has() also says yes below paths that could not be read. */
class PresentSet extends Set<string> {
  readonly unsure = new Set<string>();

  override has(p: string): boolean {
    return super.has(p) || isUnder(p, this.unsure);
  }
}
