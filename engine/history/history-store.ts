import fs from 'node:fs';
import path from 'node:path';
import type { HistoryEntry, HistoryKind } from '../api/contract.js';

/**
 * The History tab's entries, newest last in memory, persisted as JSON lines in
 * storage_path/history.jsonl so History survives a restart. Appends are batched (a sync of
 * many files writes a few times a second, not once per file); when the file holds more than
 * twice the cap it is rewritten with the newest `cap` entries (temp file, then rename).
 * A torn last line after a crash is skipped at load. `seq` continues from the file's highest.
 */
export const HISTORY_FILE = 'history.jsonl';
export const HISTORY_CAP = 10_000;
const FLUSH_DELAY_MS = 250;
const DEFAULT_LIMIT = 1000;

const KINDS: ReadonlySet<string> = new Set<HistoryKind>(['added', 'updated', 'deleted', 'renamed', 'conflict', 'sync_finished']);

export class HistoryStore {
  /** Oldest first; may exceed the cap by a tenth before it is trimmed (trimming is a copy). */
  private entries: HistoryEntry[];
  private nextSeq: number;
  private fileLines: number;
  private pending: string[] = [];
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    readonly file: string,
    private readonly cap: number,
    loaded: HistoryEntry[],
    lines: number,
    private readonly onError: (err: unknown) => void,
  ) {
    this.entries = loaded.slice(-cap);
    this.fileLines = lines;
    this.nextSeq = loaded.reduce((max, e) => Math.max(max, e.seq), 0) + 1;
  }

  static open(storagePath: string, opts: { cap?: number; onError: (err: unknown) => void }): HistoryStore {
    const file = path.join(storagePath, HISTORY_FILE);
    let text = '';
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') opts.onError(err);
    }
    const loaded: HistoryEntry[] = [];
    let lines = 0;
    for (const line of text.split('\n')) {
      if (!line) continue;
      lines++;
      const e = parseEntry(line);
      if (e) loaded.push(e);
    }
    loaded.sort((a, b) => a.seq - b.seq);
    const store = new HistoryStore(file, opts.cap ?? HISTORY_CAP, loaded, lines, opts.onError);
    // A crash in the middle of an append leaves a line without its newline: the next append
    // would be glued to it, so start from a clean file.
    if (text && !text.endsWith('\n')) store.rewriteNow();
    return store;
  }

  add(entry: Omit<HistoryEntry, 'seq'>): HistoryEntry {
    const e: HistoryEntry = { seq: this.nextSeq++, ...entry };
    this.entries.push(e);
    if (this.entries.length > this.cap + Math.ceil(this.cap / 10)) this.entries = this.entries.slice(-this.cap);
    this.pending.push(JSON.stringify(e));
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        void this.flush();
      }, FLUSH_DELAY_MS);
      this.timer.unref();
    }
    return e;
  }

  /** Newest first; at most `limit`, optionally of one folder. */
  list(opts: { folder?: string; limit?: number } = {}): HistoryEntry[] {
    const limit = Math.min(opts.limit ?? DEFAULT_LIMIT, this.cap);
    const out: HistoryEntry[] = [];
    const oldest = Math.max(0, this.entries.length - this.cap);
    for (let i = this.entries.length - 1; i >= oldest && out.length < limit; i--) {
      const e = this.entries[i]!;
      if (opts.folder === undefined || e.folder === opts.folder) out.push({ ...e });
    }
    return out;
  }

  /** Write what is pending (appending, or compacting once the file is past twice the cap). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.pending.length === 0) return this.writing;
    const lines = this.pending;
    this.pending = [];
    const compactTo = this.fileLines + lines.length > 2 * this.cap ? this.entries.slice(-this.cap) : null;
    this.writing = this.writing
      .then(async () => {
        if (compactTo) {
          await this.rewrite(compactTo);
          this.fileLines = compactTo.length;
        } else {
          await fs.promises.appendFile(this.file, lines.join('\n') + '\n', { mode: 0o600 });
          this.fileLines += lines.length;
        }
      })
      .catch((err: unknown) => this.onError(err));
    return this.writing;
  }

  private rewriteNow(): void {
    try {
      const tmp = `${this.file}.tmp-${process.pid}`;
      fs.writeFileSync(tmp, this.entries.map((e) => JSON.stringify(e) + '\n').join(''), { mode: 0o600 });
      fs.renameSync(tmp, this.file);
      this.fileLines = this.entries.length;
    } catch (err) {
      this.onError(err);
    }
  }

  private async rewrite(entries: HistoryEntry[]): Promise<void> {
    const tmp = `${this.file}.tmp-${process.pid}`;
    await fs.promises.writeFile(tmp, entries.map((e) => JSON.stringify(e)).join('\n') + '\n', { mode: 0o600 });
    await fs.promises.rename(tmp, this.file);
  }

  close(): Promise<void> {
    return this.flush();
  }
}

function parseEntry(line: string): HistoryEntry | null {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return null;
  }
  if (!v || typeof v !== 'object') return null;
  const o = v as Record<string, unknown>;
  const ok =
    Number.isSafeInteger(o.seq) &&
    typeof o.kind === 'string' &&
    KINDS.has(o.kind) &&
    typeof o.folder === 'string' &&
    typeof o.dir === 'string' &&
    typeof o.path === 'string' &&
    typeof o.device === 'string' &&
    typeof o.at === 'number' &&
    (o.from === undefined || typeof o.from === 'string');
  if (!ok) return null;
  const e: HistoryEntry = {
    seq: o.seq as number,
    kind: o.kind as HistoryKind,
    folder: o.folder as string,
    dir: o.dir as string,
    path: o.path as string,
    device: o.device as string,
    at: o.at as number,
  };
  if (typeof o.from === 'string') e.from = o.from;
  return e;
}
