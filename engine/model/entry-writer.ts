import type { Entry } from './entry.js';
import type { EntryStore } from './host.js';

/** How long changed entries gather before they are written in one batch. */
const FLUSH_DELAY_MS = 100;

/**
 * Write-behind of one folder's changed entries to its store (LevelDB): paths marked changed
 * are written together, each at its latest state, at most FLUSH_DELAY_MS after the first
 * change; batches are written one after the other, in order. Deleted files stay in the index
 * as deleted records, so entries are only ever put, never removed.
 */
export class EntryWriter {
  private readonly dirty = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly entries: ReadonlyMap<string, Entry>,
    private readonly store: EntryStore,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** The entry at `path` changed: write it with the next batch. */
  changed(path: string): void {
    this.dirty.add(path);
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, FLUSH_DELAY_MS);
  }

  /** Write what changed now; resolves once it and every earlier batch are stored (errors go to onError). */
  flush(): Promise<void> {
    const put: Entry[] = [];
    for (const p of this.dirty) {
      const e = this.entries.get(p);
      if (e) put.push(e);
    }
    this.dirty.clear();
    if (put.length === 0) return this.writing;
    this.writing = this.writing.then(() => this.store.save(put)).catch((err: unknown) => this.onError(err));
    return this.writing;
  }

  /** No more timed batches; what changed is written now. */
  close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    return this.flush();
  }
}
