import type { FSWatcher } from 'chokidar';
import { EventEmitter } from 'node:events';
import { promises as fsp, type Stats } from 'node:fs';
import path from 'node:path';
import { ShoalError } from '../errors.js';
import { IGNORE_FILE, TEMP_SUFFIX, toRelPath } from '../model/paths.js';
import { DirectoryWatcher } from './directory-watcher.js';
import { countRawEvent, defaultOverflowEvents, listenForOverflow } from './event-overflow.js';
import { OwnRenames } from './own-renames.js';
import type { IgnoreRules } from './ignore.js';

export interface WatcherOptions {
  /** Absolute folder root. */
  root: string;
  rules: IgnoreRules;
  /** Quiet time per path before it is reported (default 30 ms: an editor's save is several events). */
  debounceMs?: number;
  /**
   * A path that keeps changing is reported anyway after this long (default 10 s): long
   * enough not to rehash a big file on every write while it is copied in, short enough
   * that an always-growing log still syncs.
   */
  maxDelayMs?: number;
  /** How often the root is stat'ed to notice it vanished or was replaced (default 2 s). */
  rootCheckMs?: number;
  /** How long start() waits for the initial watch setup before returning anyway (default 60 s). */
  readyTimeoutMs?: number;
  /**
   * Raw events in one turn of the event loop (all folder watchers of the process together)
   * from which some may have been lost (default: half the kernel's inotify queue; see
   * event-overflow.ts).
   */
  burstEvents?: number;
  /** Quiet time after such a burst before eventsMayBeLost is emitted (default 2 s). */
  burstQuietMs?: number;
}

export interface WatcherEvents {
  /** Something happened at this wire path (added, changed, removed: look at the disk). */
  change: [relPath: string];
  /** `.SyncIgnore` at the root changed: reload the rules (then call setRules). */
  ignoreFileChanged: [];
  /** The root folder disappeared or was replaced (unmounted disk): stop the folder. Emitted once. */
  rootGone: [];
  /**
   * So many events arrived at once that the OS may have dropped some (inotify's queue
   * overflows silently as far as Node can tell; event-overflow.ts): rescan the folder.
   * Emitted once the burst is over.
   */
  eventsMayBeLost: [];
  error: [err: ShoalError];
}

interface Pending {
  timer: NodeJS.Timeout;
  first: number;
}

/**
 * Watches a folder (chokidar over inotify/FSEvents) and reports changed paths after a short
 * per-path debounce. It only reports paths; the scanner decides what changed, and the
 * engine recognizes its own writes by comparing with its index.
 *
 * Before paths are reported, the root is checked to still be the same folder: when a
 * folder is deleted or its disk unmounted, chokidar first reports every file as unlinked,
 * and those must never turn into deletions sent to peers.
 */
export class FolderWatcher extends EventEmitter<WatcherEvents> {
  private readonly root: string;
  private rules: IgnoreRules;
  private readonly debounceMs: number;
  private readonly maxDelayMs: number;
  private readonly rootCheckMs: number;
  private readonly readyTimeoutMs: number;
  private readonly burstEvents: number;
  private readonly burstQuietMs: number;
  /** Events may have been lost in a burst: eventsMayBeLost once this timer fires. */
  private burstTimer: NodeJS.Timeout | null = null;
  /** Stops afterTurn() calls (set while started). */
  private unlistenOverflow: (() => void) | null = null;
  private fsw: FSWatcher | null = null;
  private rootId: { dev: number; ino: number } | null = null;
  private rootTimer: NodeJS.Timeout | null = null;
  private readonly pending = new Map<string, Pending>();
  /** Watched folder (absolute, as chokidar reports it) -> its wire path; see wireFolder. */
  private readonly wireFolders = new Map<string, string | null>();
  private readonly due = new Set<string>();
  /** Renames of downloads about to land, whose events are this device's own (expectOwnRename). */
  private readonly ownRenames = new OwnRenames();
  private flushing = false;
  private gone = false;
  private closed = false;
  private closing: Promise<void> | null = null;
  /** The last setRules() in progress (they run in order). */
  private rulesChange: Promise<void> = Promise.resolve();
  /** A chokidar instance being closed after the root vanished. */
  private detached: Promise<void> | null = null;

  constructor(opts: WatcherOptions) {
    super();
    this.root = path.resolve(opts.root);
    this.rules = opts.rules;
    this.debounceMs = opts.debounceMs ?? 30;
    this.maxDelayMs = opts.maxDelayMs ?? 10_000;
    this.rootCheckMs = opts.rootCheckMs ?? 2000;
    this.readyTimeoutMs = opts.readyTimeoutMs ?? 60_000;
    this.burstEvents = opts.burstEvents ?? defaultOverflowEvents();
    this.burstQuietMs = opts.burstQuietMs ?? 2000;
  }

  /** Start watching; resolves once the initial setup is done (or readyTimeoutMs passed). */
  async start(): Promise<void> {
    if (this.closed || this.fsw) return;
    const st = await fsp.stat(this.root).catch(() => null);
    if (!st?.isDirectory()) throw new ShoalError('FOLDER_PATH_MISSING', `Folder not found: ${this.root}`);
    this.rootId = { dev: st.dev, ino: st.ino };
    this.rootTimer = setInterval(() => void this.checkRoot(), this.rootCheckMs);
    this.unlistenOverflow = listenForOverflow(this);
    this.rootTimer.unref();
    await this.startChokidar();
  }

  /**
   * New ignore rules. chokidar never set up watches inside folders that were ignored, so
   * when the rules really differ it is restarted to pick them up (and to drop watches for
   * newly ignored ones). Changes are applied one at a time.
   */
  setRules(rules: IgnoreRules): Promise<void> {
    const apply = async (): Promise<void> => {
      const same = rules.sameAs(this.rules);
      this.rules = rules;
      if (same || !this.fsw || this.closed) return;
      const old = this.fsw;
      this.fsw = null;
      await old.close();
      await this.startChokidar();
    };
    this.rulesChange = this.rulesChange.then(apply, apply);
    return this.rulesChange;
  }

  /**
   * This device is about to rename a finished file onto `wire`, where no file is (a download
   * of a file new here): the OS reports that rename like anyone else's, and looking at it
   * would only find our own write (measured: receiving 10,000 files, ~1 s of the engine
   * thread went to stat'ing, comparing and re-listing after our own renames). The next
   * 'rename' event at `wire` is skipped, for as long as the write runs and a moment after
   * (own-renames.ts). Content or attribute changes there are always reported, and so is a
   * second rename (someone replacing the file after us). Call the returned function when the
   * write is done: landed false (nothing was renamed, e.g. a file appeared there meanwhile)
   * reports the path, in case the skipped event was someone else's.
   */
  expectOwnRename(wire: string): (landed: boolean) => void {
    if (this.closed || this.gone) return () => {};
    return this.ownRenames.expect(wire, () => {
      if (!this.closed && !this.gone) this.schedule(wire);
    });
  }

  private async startChokidar(): Promise<void> {
    if (this.closed || this.gone) return;
    const fsw = new DirectoryWatcher({
      ignoreInitial: true,
      followSymlinks: false,
      // chokidar's atomic mode holds unlinks back 100 ms and drops names like `x~`/`.x.swp`.
      atomic: false,
      ignorePermissionErrors: true,
      ignored: (p: string, stats?: Stats) => this.isIgnored(p, stats),
      onRaw: (event, name, watchedPath) => {
        this.noteRawEvent();
        return this.onRaw(event, name, watchedPath);
      },
      onWatched: (dir) => this.onFolderWatched(dir),
    });
    fsw.add(this.root);
    this.fsw = fsw;
    fsw.on('all', (event, p) => this.onEvent(event, p));
    fsw.on('error', (err) => {
      if (this.closed) return;
      const e = err as NodeJS.ErrnoException;
      const hint = e.code === 'ENOSPC' ? ' (raise fs.inotify.max_user_watches)' : '';
      this.emit('error', new ShoalError('IO_ERROR', `Watching ${this.root} failed: ${e.code ?? e.message}${hint}`, { cause: err }));
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => fsw.once('ready', () => resolve())),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, this.readyTimeoutMs))),
    ]);
    clearTimeout(timer);
  }

  /**
   * chokidar is asked to watch directories only. It would otherwise open one OS watch per
   * file (measured: ~37 MiB for 10,000 files); a directory's watch already reports every
   * change of the files in it, which arrive as `raw` events (onRaw).
   */
  private isIgnored(abs: string, stats?: Stats): boolean {
    // Files first, before any path work: chokidar asks about every entry it lists.
    if (stats && !stats.isDirectory() && abs !== this.root) return true;
    const rel = path.relative(this.root, abs);
    if (rel === '' || rel.startsWith('..')) return false;
    // Without stats chokidar asks again with them; judge by the rules meanwhile.
    return this.rules.matches(toRelPath(rel), stats?.isDirectory() ?? false);
  }

  /**
   * A change reported by a directory's OS watch: `name` inside `watchedPath` ('rename': it
   * appeared or went; 'change': its content or attributes changed). Runs for every event
   * (several per file written), so a plain name is joined to its folder's wire path (cached
   * per folder) without path arithmetic. Returns whether the folder's list of subfolders may
   * have changed (DirectoryWatcher then re-reads it): only an entry appearing or going that
   * is neither ignored nor a file this device just put in place.
   */
  private onRaw(event: string, name: string, watchedPath: string): boolean {
    if (this.closed || this.gone || !name) return false;
    // Our own temp files: most events of a download are theirs, skip them before any path work.
    if (name.endsWith(TEMP_SUFFIX)) return false;
    let wire: string;
    if (name.includes('/') || name.includes('\\')) {
      const rel = path.relative(this.root, path.join(watchedPath, name));
      if (rel === '' || rel.startsWith('..')) return false;
      wire = toRelPath(rel);
    } else {
      const folder = this.wireFolder(watchedPath);
      if (folder === null) return event === 'rename'; // not ours to report; chokidar's to look at
      wire = folder === '' ? name.normalize('NFC') : `${folder}/${name.normalize('NFC')}`;
    }
    if (wire !== IGNORE_FILE && this.rules.matches(wire, false)) return false;
    const renamed = event === 'rename';
    if (renamed && this.ownRenames.consume(wire)) return false;
    this.schedule(wire);
    return renamed;
  }

  /**
   * A folder created after the start is now watched: what changed in it before (between its
   * listing and its watch) went unreported, so the folder itself is reported again and the
   * engine looks at everything in it (local-changes.ts lookInside).
   */
  private onFolderWatched(dir: string): void {
    if (this.closed || this.gone) return;
    const wire = this.wireFolder(dir);
    if (wire) this.schedule(wire);
  }

  /** The wire path of a watched folder ('' for the root, null outside it), cached. */
  private wireFolder(watchedPath: string): string | null {
    let wire = this.wireFolders.get(watchedPath);
    if (wire === undefined) {
      const rel = path.relative(this.root, watchedPath);
      wire = rel.startsWith('..') || path.isAbsolute(rel) ? null : toRelPath(rel);
      this.wireFolders.set(watchedPath, wire);
    }
    return wire;
  }

  private onEvent(event: string, abs: string): void {
    if (this.closed || this.gone) return;
    const rel = path.relative(this.root, abs);
    if (rel === '') {
      if (event === 'unlinkDir') this.rootVanished();
      return;
    }
    if (rel.startsWith('..')) return;
    const wire = toRelPath(rel);
    this.schedule(wire);
  }

  /** (Re)arm the path's quiet timer, but never past first event + maxDelayMs. */
  private schedule(wire: string): void {
    const now = Date.now();
    const p = this.pending.get(wire);
    if (p && now - p.first + this.debounceMs < this.maxDelayMs) {
      p.timer.refresh();
      return;
    }
    if (p) return; // the max delay is near: let the armed timer fire
    const timer = setTimeout(() => {
      this.pending.delete(wire);
      this.due.add(wire);
      void this.flush();
    }, this.debounceMs);
    this.pending.set(wire, { timer, first: now });
  }

  /** Report due paths in batches, each after one check that the root is still there. */
  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.due.size > 0 && !this.closed && !this.gone) {
        const batch = [...this.due];
        this.due.clear();
        if (!(await this.rootIsSame())) return this.rootVanished();
        if (this.closed) return;
        for (const wire of batch) {
          if (wire === IGNORE_FILE) this.emit('ignoreFileChanged');
          else this.emit('change', wire);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  private async checkRoot(): Promise<void> {
    if (this.closed || this.gone) return;
    if (!(await this.rootIsSame())) this.rootVanished();
  }

  private async rootIsSame(): Promise<boolean> {
    try {
      const st = await fsp.stat(this.root);
      return st.isDirectory() && st.dev === this.rootId?.dev && st.ino === this.rootId.ino;
    } catch {
      return false;
    }
  }

  private rootVanished(): void {
    if (this.gone || this.closed) return;
    this.gone = true;
    this.dropPending();
    // Nothing more can be watched there: release the OS watches. Not from inside chokidar's
    // own event dispatch, though: closing there leaks the watch on the root's parent.
    const fsw = this.fsw;
    this.fsw = null;
    if (fsw) this.detached = new Promise<void>((resolve) => setImmediate(() => void fsw.close().then(resolve, resolve)));
    this.emit('rootGone');
  }

  /** Every raw event, ignored ones included (they took their place in the kernel's queue too). */
  private noteRawEvent(): void {
    if (this.closed || this.gone) return;
    countRawEvent();
    this.burstTimer?.refresh(); // events may have been lost, and more are coming: wait for the quiet
  }

  /** A turn of the event loop delivered `events` (event-overflow.ts): maybe rescan once it is quiet. */
  afterTurn(events: number): void {
    if (this.closed || this.gone || this.burstTimer || events < this.burstEvents) return;
    this.burstTimer = setTimeout(() => {
      this.burstTimer = null;
      if (!this.closed && !this.gone) this.emit('eventsMayBeLost');
    }, this.burstQuietMs);
    this.burstTimer.unref();
  }

  private dropPending(): void {
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
    if (this.burstTimer) clearTimeout(this.burstTimer);
    this.burstTimer = null;
    this.due.clear();
    this.ownRenames.clear();
  }

  /** Stop watching. Idempotent; no event is emitted after it is called. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      this.dropPending();
      if (this.rootTimer) clearInterval(this.rootTimer);
      this.unlistenOverflow?.();
      const fsw = this.fsw;
      this.fsw = null;
      await fsw?.close();
      await this.detached;
    })();
    return this.closing;
  }
}
