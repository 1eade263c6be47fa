import type { FileRecord } from './record.js';

/**
 * Where a chunk's bytes can be found on this device's disk. Lets a download copy chunks
 * it already has (renames, moves, an edit to a big file) instead of fetching them.
 * Entries may go stale when files change; the copier verifies every chunk's hash, so a
 * stale entry only costs a fallback download.
 */
export interface ChunkSource {
  path: string;
  offset: number;
}

export class ChunkLocator {
  private readonly byHash = new Map<string, ChunkSource>();

  /** Record every chunk of a file that is now on disk with this content. */
  addFile(record: FileRecord): void {
    let offset = 0;
    for (const c of record.chunks) {
      this.byHash.set(key(c.hash), { path: record.path, offset });
      offset += c.size;
    }
  }

  /** Forget chunks that pointed into a path whose content is replaced or removed. */
  removeFile(record: FileRecord): void {
    for (const c of record.chunks) {
      const k = key(c.hash);
      if (this.byHash.get(k)?.path === record.path) this.byHash.delete(k);
    }
  }

  find(hash: Buffer): ChunkSource | undefined {
    return this.byHash.get(key(hash));
  }

  get size(): number {
    return this.byHash.size;
  }
}

function key(hash: Buffer): string {
  return hash.toString('base64');
}
