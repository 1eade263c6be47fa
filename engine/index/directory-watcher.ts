import { FSWatcher } from 'chokidar';
import { existsSync, stat, watch, type FSWatcher as FsWatcher } from 'node:fs';
import path from 'node:path';

/**
 * chokidar tuned for Shoal's folder watcher (watcher.ts), which watches directories only:
 * the cost of what chokidar does on each event in a folder, cut down (see the class).
 * Relies on chokidar 5's internals (`_readdirp`, `_getWatchedDir`, `_nodeFsHandler`'s
 * `_handleRead`, `_watchWithNodeFs` and `_boundHandleError`); package.json
 * pins the version, and test/index-watcher.test.ts and index-watcher-own-writes.test.ts check
 * the behaviour that depends on them.
 */
type ReaddirpOptions = NonNullable<Parameters<FSWatcher['_readdirp']>[1]>;
/** chokidar's NodeFsHandler._handleRead(directory, initialAdd, wh, target, dir, depth, throttler). */
type HandleRead = (directory: string, initialAdd: boolean, ...rest: unknown[]) => Promise<unknown> | undefined;
/** A folder with events is re-read at most this often (see DirectoryWatcher.throttleRereads). */
const REREAD_MS = 250;
/** File systems whose timestamps are coarse (FAT: 2 s) may date a change this much too early. */
const MTIME_SLACK_MS = 2000;
type Tester = Extract<NonNullable<ReaddirpOptions['fileFilter']>, (...args: never[]) => unknown>;
/** The parts of chokidar's FSWatcher and NodeFsHandler that watchFoldersDirectly replaces or uses. */
interface ChokidarInternals {
  _getWatchedDir(dir: string): { add(item: string): void };
  _nodeFsHandler?: {
    /** Watch `path` (a folder here); `listener(path)` re-reads it. Returns a closer. */
    _watchWithNodeFs?: (path: string, listener: (path: string) => unknown) => (() => void) | undefined;
    _boundHandleError?: (error: Error) => unknown;
  };
}

/**
 * Every OS event in a watched folder: `name` inside `watchedPath`, `event` 'rename' (an entry
 * appeared or went) or 'change' (content or attributes). Returns whether the folder's list
 * of subfolders may have changed, i.e. whether it needs re-reading.
 */
export type RawEventHandler = (event: string, name: string, watchedPath: string) => boolean;

export type DirectoryWatcherOptions = ConstructorParameters<typeof FSWatcher>[0] & {
  onRaw: RawEventHandler;
  /**
   * A folder's OS watch was set up after the initial ones ('ready'): nothing that happened
   * in it before this moment was reported, so its owner looks at what it holds now.
   */
  onWatched?: (dir: string) => void;
  /** Tests only: runs just before a folder's OS watch is set up (after it was listed). */
  beforeWatch?: (dir: string) => void;
};

/**
 * chokidar for a watcher that watches directories only (isIgnored drops everything else),
 * with two costs removed. Whenever anything changes in a watched directory, chokidar re-reads
 * that directory to find new subdirectories (paced here: throttleRereads), lstat()s every
 * entry, and runs each through its path filters. While thousands of files arrive in a few folders
 * that is quadratic: measured on 10,000 received files in 110 folders, ~110,000 lstat calls
 * plus path work, ~3.5 s of the receiver's CPU, and the libuv thread pool so busy that the
 * receiver's own writes and fsyncs queued behind them. Here the listing's own entry types
 * (readdir with file types; Node falls back to lstat where a file system does not give
 * them) stand in for those stats, and files are skipped at once: isIgnored would drop
 * each of them anyway. A new directory is stat'ed by chokidar when it starts watching it.
 * (test/index-watcher.test.ts covers new, nested and symlinked directories.)
 */
export class DirectoryWatcher extends FSWatcher {
  /** The initial watches are set up ('ready' was emitted). */
  private started = false;
  /** Before the first folder was listed: a folder not modified since cannot have changed while being set up. */
  private readonly createdAt = Date.now();
  /** Folders of the first setup being checked and listed again (relistIfChanged). */
  private readonly relisting = new Set<Promise<void>>();

  constructor({ onRaw, onWatched, beforeWatch, ...opts }: DirectoryWatcherOptions) {
    super(opts);
    this.once('ready', () => (this.started = true));
    this.watchFoldersDirectly(onRaw, onWatched, beforeWatch);
    this.throttleRereads();
  }

  /**
   * Each watched folder's OS watch, set up here instead of by chokidar, which on every event
   * (several per file written; a download's temp file alone makes four) resolves and joins
   * paths to pass it on to per-file listeners that a directories-only watcher never has
   * (measured: a fifth of everything the receiver of 10,000 files allocated), and then
   * re-reads the folder. Here each event goes straight to `onRaw`, and the folder is handed
   * to chokidar's listener (its paced re-read, throttleRereads) only when `onRaw` says its
   * subfolders may have changed: an entry appeared or went; content and attribute changes
   * never add a folder. Errors go where chokidar sends its own watches' errors.
   */
  private watchFoldersDirectly(onRaw: RawEventHandler, onWatched?: (dir: string) => void, beforeWatch?: (dir: string) => void): void {
    const self = this as unknown as ChokidarInternals;
    const handler = self._nodeFsHandler;
    if (
      typeof handler?._watchWithNodeFs !== 'function' ||
      typeof handler._boundHandleError !== 'function' ||
      typeof self._getWatchedDir !== 'function'
    ) {
      // Another chokidar: its own watches, every event still reaching onRaw.
      this.on('raw', (event, name, details) => {
        const watchedPath = (details as { watchedPath?: unknown } | undefined)?.watchedPath;
        if (typeof name === 'string' && typeof watchedPath === 'string') onRaw(event, name, watchedPath);
      });
      return;
    }
    const onError = handler._boundHandleError;
    handler._watchWithNodeFs = (dir, listener) => {
      self._getWatchedDir(path.dirname(dir)).add(path.basename(dir)); // what chokidar's version records
      beforeWatch?.(dir);
      let watcher: FsWatcher;
      try {
        watcher = watch(dir, { persistent: this.options.persistent !== false }, (event, name) => {
          if (this.closed) return;
          // No name (some platforms, on overflow): anything may have changed.
          if (typeof name !== 'string' || onRaw(event, name, dir)) void listener(dir);
        });
      } catch (err) {
        onError(err as Error);
        return undefined;
      }
      watcher.on('error', (err: NodeJS.ErrnoException) => {
        // Windows reports a watched folder's removal as EPERM: not an error (chokidar's rule).
        if (process.platform === 'win32' && err.code === 'EPERM' && !existsSync(dir)) return;
        onError(err);
      });
      // A folder created while watching is listed first, then watched: whatever appeared or
      // changed in it in between was never reported. So it is listed once more (chokidar's
      // paced re-read: subfolders created in between get their own watches, which were
      // otherwise never set up, and every change in them went unseen until a rescan), and
      // its owner looks at the files in it (onWatched).
      if (this.started) {
        void listener(dir);
        onWatched?.(dir);
      } else this.relistIfChanged(dir, listener);
      return () => watcher.close();
    };
  }

  /**
   * The same gap during the first setup: a folder is listed, then watched, and a subfolder
   * created in between would never be watched (the engine's scan at start finds its files,
   * not later changes in it). Only folders modified since this watcher started can have
   * changed in between; those are listed once more (a stat each, not a second listing of
   * every folder).
   */
  private relistIfChanged(dir: string, listener: (dir: string) => unknown): void {
    const done: Promise<void> = new Promise<boolean>((resolve) => {
      stat(dir, (err, st) => resolve(!err && !this.closed && st.mtimeMs >= this.createdAt - MTIME_SLACK_MS));
    })
      .then(async (changed) => {
        if (changed) await listener(dir);
      })
      .catch(() => undefined) // chokidar reports its own read errors
      .finally(() => this.relisting.delete(done));
    this.relisting.add(done);
  }

  /** Resolves once the folders of the first setup that changed meanwhile were listed again (tests). */
  async relisted(): Promise<void> {
    for (let i = 0; i < 100 && this.relisting.size > 0; i++) await Promise.all([...this.relisting]);
  }

  /**
   * chokidar re-reads a folder on every event in it, and again at the end of a read if
   * events came meanwhile: while files land in a folder it is listed back to back (measured:
   * 10,000 files landing in 110 folders cost the watcher ~200 us of CPU per file, half of it
   * listing). Those listings only look for new subfolders, so here a folder is re-read at
   * once on the first event, then at most once per REREAD_MS while events keep coming (one
   * read at the end of each window that had events). A new subfolder's own watch is set up
   * up to REREAD_MS later; files written into it meanwhile are found when the folder model
   * looks inside it (local-changes.ts lookInside).
   */
  private throttleRereads(): void {
    const handler = (this as unknown as { _nodeFsHandler?: { _handleRead?: HandleRead } })._nodeFsHandler;
    const read = handler?._handleRead;
    if (!handler || typeof read !== 'function') return; // another chokidar: its own pace
    const windows = new Map<string, { again: Parameters<HandleRead> | null }>();
    const throttled: HandleRead = (...args) => {
      const [directory, initialAdd, , target] = args;
      if (initialAdd) return read.apply(handler, args); // setting up: every read counts
      const key = `${directory}\0${String(target)}`;
      const open = windows.get(key);
      if (open) {
        open.again = args;
        return undefined;
      }
      const w = { again: null as Parameters<HandleRead> | null };
      windows.set(key, w);
      setTimeout(() => {
        windows.delete(key);
        if (w.again && !this.closed) void throttled(...w.again);
      }, REREAD_MS).unref();
      return read.apply(handler, args);
    };
    handler._handleRead = throttled;
  }

  override _readdirp(root: string, opts: ReaddirpOptions = {}): ReturnType<FSWatcher['_readdirp']> {
    const { directoryFilter } = opts;
    // chokidar passes a function; anything else keeps its stat-every-entry default.
    if (typeof directoryFilter !== 'function') return super._readdirp(root, opts);
    const dirsWithStats: Tester = (entry) => {
      // The filter sees each entry before chokidar's handlers do (the same object).
      const e = entry as { stats?: unknown; dirent?: unknown };
      e.stats ??= e.dirent;
      return directoryFilter(entry);
    };
    return super._readdirp(root, { ...opts, alwaysStat: false, fileFilter: () => false, directoryFilter: dirsWithStats });
  }
}
