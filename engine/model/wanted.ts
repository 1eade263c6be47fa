import type { FileRecord } from './record.js';

/**
 * The versions the puller wants on disk and that are not there yet, by path, with the sum of
 * their sizes kept as they come and go (the bytes left to download are polled by the API).
 */
export class WantedFiles {
  private readonly byPath = new Map<string, FileRecord>();
  private total = 0;

  get(p: string): FileRecord | undefined {
    return this.byPath.get(p);
  }

  has(p: string): boolean {
    return this.byPath.has(p);
  }

  get size(): number {
    return this.byPath.size;
  }

  /** Sum of the wanted records' sizes. */
  get bytes(): number {
    return this.total;
  }

  records(): Iterable<FileRecord> {
    return this.byPath.values();
  }

  /** Want `record` at `p` (replacing an older want). */
  set(p: string, record: FileRecord): void {
    this.total += record.size - (this.byPath.get(p)?.size ?? 0);
    this.byPath.set(p, record);
  }

  /** Not wanted any more; with `only`, just when that is the version wanted. */
  delete(p: string, only?: FileRecord): void {
    const r = this.byPath.get(p);
    if (!r || (only && r !== only)) return;
    this.total -= r.size;
    this.byPath.delete(p);
  }
}
