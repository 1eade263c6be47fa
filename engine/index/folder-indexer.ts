import type { Indexer, ScanHit } from '../model/host.js';
import type { LocalStat } from '../model/entry.js';
import { isProgrammerError } from '../errors.js';
import { IgnoreRules } from './ignore.js';
import { scanFolder, scanPath, type ScanResult } from './scanner.js';
import { FolderWatcher } from './watcher.js';

/**
 * The index side of one folder as the folder model uses it: full scans, single-path
 * scans after watcher events, `.SyncIgnore` rules and the watcher itself.
 */
export class FolderIndexer implements Indexer {
  private rules: IgnoreRules = IgnoreRules.parse('');
  private watcher: FolderWatcher | null = null;
  private closed = false;

  constructor(
    private readonly root: string,
    private readonly opts: { debounceMs?: number } = {},
  ) {}

  async reloadIgnores(): Promise<void> {
    this.rules = await IgnoreRules.load(this.root);
    this.watcher?.setRules(this.rules);
  }

  ignored(rel: string, isDir: boolean): boolean {
    return this.rules.matches(rel, isDir);
  }

  async scanAll(previous: (p: string) => LocalStat | undefined, onHit: (h: ScanHit) => void): Promise<Set<string>> {
    const seen = new Set<string>();
    const summary = await scanFolder({
      root: this.root,
      rules: this.rules,
      previous,
      onResult: (r) => {
        seen.add(r.entry.path);
        onHit(toHit(r));
      },
    });
    // Files that changed while being hashed are looked at again by the watcher; keep them
    // out of "gone" by counting them as seen.
    for (const p of summary.unstable) seen.add(p);
    return seen;
  }

  async scanOne(rel: string, previous: LocalStat | undefined): Promise<ScanHit | null> {
    const r = await scanPath(this.root, rel, { rules: this.rules, previous: () => previous });
    if (r.status === 'gone' || r.status === 'ignored') return null;
    if (r.status === 'unstable') {
      // Still being written: the watcher reports it again when it settles.
      return previous ? { path: rel, kind: 'file', size: previous.size, mtimeMs: previous.mtimeMs, mode: 0, ino: previous.ino, chunks: null } : null;
    }
    return toHit(r);
  }

  async watch(onPath: (rel: string) => void, onRootGone: () => void): Promise<void> {
    if (this.closed) return;
    const w = new FolderWatcher({ root: this.root, rules: this.rules, debounceMs: this.opts.debounceMs });
    w.on('change', (rel) => onPath(rel));
    w.on('ignoreFileChanged', () => {
      void this.reloadIgnores().catch((err: unknown) => {
        if (isProgrammerError(err)) throw err;
      });
    });
    w.on('rootGone', () => onRootGone());
    w.on('error', () => undefined);
    this.watcher = w;
    await w.start();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.watcher?.close();
  }
}

function toHit(r: ScanResult): ScanHit {
  const e = r.entry;
  return {
    path: e.path,
    kind: e.kind,
    size: e.size,
    mtimeMs: e.mtimeMs,
    mode: e.mode,
    ino: e.ino,
    chunks: r.status === 'changed' ? r.chunks : null,
  };
}
