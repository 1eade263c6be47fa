import { Level } from 'level';
import { ShoalError } from '../errors.js';
import { readRecord, writeRecord, type FileRecord } from '../model/record.js';
import { Reader, Writer } from '../util/codec.js';
import { CHUNK_HASH } from './chunk-hash.js';
import type { LocalStat } from './scan-entry.js';

/**
 * The persistent index: one LevelDB for all folders (storage_path/index), one sublevel per
 * folder keyed by its id in hex. Inside it, `p` holds one value per path and `m` a few
 * folder-level meta values; separate sublevels, so no path can collide with a meta key.
 */

/** What this device stores per path (the default value type). */
export interface StoredEntry {
  record: FileRecord;
  /** What the scanner last saw on disk for this path (null: nothing there). */
  local: LocalStat | null;
  /** Read-only folders: the user changed the file here (never propagated). */
  localChanged: boolean;
}

/** How a folder's values are keyed and turned into bytes; lets the model store its own shape. */
export interface EntryCodec<T> {
  key(entry: T): string;
  encode(entry: T): Buffer;
  decode(value: Buffer): T;
}

const STORED_FORMAT = 1;

export const storedEntryCodec: EntryCodec<StoredEntry> = {
  key: (e) => e.record.path,
  encode(e) {
    const w = new Writer(96 + e.record.path.length + e.record.chunks.length * 36);
    w.u8(STORED_FORMAT);
    writeRecord(w, e.record);
    w.bool(e.local !== null);
    if (e.local) {
      w.uint(e.local.size).int(e.local.mtimeMs);
      // Inode numbers can exceed 2^53 on some file systems: keep all 64 bits of the double.
      const ino = Buffer.allocUnsafe(8);
      ino.writeDoubleLE(e.local.ino);
      w.raw(ino);
    }
    w.bool(e.localChanged);
    return w.finish();
  },
  decode(value) {
    const rd = new Reader(value);
    const format = rd.u8();
    if (format !== STORED_FORMAT) throw new ShoalError('PROTOCOL_ERROR', `Unknown stored entry format ${format}`);
    const record = readRecord(rd);
    if (record.preview) throw new ShoalError('PROTOCOL_ERROR', 'A preview record is never stored');
    const local = rd.bool() ? { size: rd.uint(), mtimeMs: rd.int(), ino: rd.raw(8).readDoubleLE(0) } : null;
    const localChanged = rd.bool();
    rd.end();
    return { record, local, localChanged };
  },
};

type Db = Level<string, Buffer>;

/** The slice of a level sublevel used here (utf8 keys, Buffer values); level's own generics don't nest well. */
interface Sub {
  sublevel(name: string, opts: { valueEncoding: 'buffer' }): Sub;
  iterator(): { nextv(size: number): Promise<Array<[string, Buffer]>>; close(): Promise<void> };
  batch(ops: Array<{ type: 'put'; key: string; value: Buffer } | { type: 'del'; key: string }>): Promise<void>;
  clear(): Promise<void>;
  get(key: string): Promise<Buffer | undefined>;
  put(key: string, value: Buffer): Promise<void>;
}

/** Values read per round trip when loading a folder. */
const LOAD_BATCH = 1000;

/**
 * A root-level key (sublevel keys all start with '!', so none can collide) naming what the
 * stored records depend on beyond their own format bytes: the chunk hash function. An
 * index written under another one (or before this key existed: BLAKE2b-256) is dropped
 * whole at open, so every file is hashed again instead of chunk ids of two functions
 * being mixed (and peers' verification failing on them).
 */
const FORMAT_KEY = 'index-format';
export const INDEX_FORMAT = `chunks=${CHUNK_HASH}`;

export class IndexStore {
  private closing: Promise<void> | null = null;

  private constructor(
    private readonly db: Db,
    /** True when open() found an index of another format and dropped it. */
    readonly rebuilt: boolean,
  ) {}

  static async open(dir: string): Promise<IndexStore> {
    // Small caches: the engine keeps its working set in memory and reads the DB only at start.
    const db = new Level<string, Buffer>(dir, { keyEncoding: 'utf8', valueEncoding: 'buffer', cacheSize: 1 << 20, writeBufferSize: 1 << 20 });
    try {
      await db.open();
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause;
      if (cause?.code === 'LEVEL_LOCKED') {
        throw new ShoalError('IO_ERROR', `The index at ${dir} is in use by another Shoal process`, { cause: err });
      }
      throw new ShoalError('IO_ERROR', `Cannot open the index at ${dir}: ${(err as Error).message}`, { cause: err });
    }
    let rebuilt = false;
    try {
      const format = await db.get(FORMAT_KEY);
      if (format?.toString() !== INDEX_FORMAT) {
        if ((await db.keys({ limit: 1 }).all()).length > 0) {
          await db.clear();
          rebuilt = true;
        }
        await db.put(FORMAT_KEY, Buffer.from(INDEX_FORMAT));
      }
    } catch (err) {
      await db.close().catch(() => undefined);
      throw new ShoalError('IO_ERROR', `Cannot use the index at ${dir}: ${(err as Error).message}`, { cause: err });
    }
    return new IndexStore(db, rebuilt);
  }

  folder(idHex: string): FolderStore<StoredEntry>;
  folder<T>(idHex: string, codec: EntryCodec<T>): FolderStore<T>;
  folder<T>(idHex: string, codec?: EntryCodec<T>): FolderStore<T> | FolderStore<StoredEntry> {
    if (!/^[0-9a-f]{2,128}$/.test(idHex)) throw new ShoalError('BAD_REQUEST', `Bad folder id: ${idHex}`);
    const sub = this.db.sublevel<string, Buffer>(idHex, { valueEncoding: 'buffer' }) as unknown as Sub;
    return codec ? new FolderStore(sub, codec) : new FolderStore(sub, storedEntryCodec);
  }

  /** Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.db.close();
    return this.closing;
  }
}

export class FolderStore<T> {
  private readonly paths: Sub;
  private readonly meta: Sub;
  /** Keys whose values could not be decoded at the last load (skipped, left in place). */
  corrupt: string[] = [];

  constructor(
    private readonly root: Sub,
    private readonly codec: EntryCodec<T>,
  ) {
    this.paths = root.sublevel('p', { valueEncoding: 'buffer' });
    this.meta = root.sublevel('m', { valueEncoding: 'buffer' });
  }

  /** Every stored entry by path. A value that no longer decodes is skipped (see `corrupt`). */
  async loadAll(): Promise<Map<string, T>> {
    const out = new Map<string, T>();
    const corrupt: string[] = [];
    const it = this.paths.iterator();
    try {
      for (;;) {
        const batch = await it.nextv(LOAD_BATCH);
        if (batch.length === 0) break;
        for (const [key, value] of batch) {
          try {
            out.set(key, this.codec.decode(value));
          } catch (err) {
            if (!(err instanceof ShoalError)) throw err;
            corrupt.push(key);
          }
        }
      }
    } finally {
      await it.close();
    }
    this.corrupt = corrupt;
    return out;
  }

  /** loadAll() as a list (the shape engine/model's EntryStore asks for). */
  async load(): Promise<T[]> {
    return [...(await this.loadAll()).values()];
  }

  /** Write and delete in one atomic batch. */
  async putMany(entries: readonly T[], deletes: readonly string[] = []): Promise<void> {
    if (entries.length === 0 && deletes.length === 0) return;
    const ops: Array<{ type: 'put'; key: string; value: Buffer } | { type: 'del'; key: string }> = [];
    for (const key of deletes) ops.push({ type: 'del', key });
    for (const e of entries) ops.push({ type: 'put', key: this.codec.key(e), value: this.codec.encode(e) });
    await this.paths.batch(ops);
  }

  /** putMany() under the name engine/model's EntryStore uses. */
  save(entries: readonly T[], deletes: readonly string[] = []): Promise<void> {
    return this.putMany(entries, deletes);
  }

  /** Forget the folder: entries and meta. */
  async clear(): Promise<void> {
    await this.root.clear();
  }

  async getMeta(key: string): Promise<Buffer | undefined> {
    return this.meta.get(key);
  }

  async setMeta(key: string, value: Buffer): Promise<void> {
    await this.meta.put(key, value);
  }
}
