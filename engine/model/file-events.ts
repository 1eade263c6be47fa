import type { EngineEvents } from '../api/contract.js';
import type { FolderHost } from './host.js';
import type { FileRecord } from './record.js';

/**
 * Emits a folder's file events (fileAdded, fileUpdated, fileDeleted, fileRenamed, conflict)
 * so that a rename reads as one rename. A rename reaches us as a deletion plus an addition
 * (from the watcher, or from a peer's index), so a deletion is held back briefly: if the
 * same content shows up under another name meanwhile, one fileRenamed replaces both.
 * A peer's addition can also land first (its content copied from the file about to be
 * deleted, before that deletion arrived): such an addition is held the same way (peerAdded).
 */
const HOLD_DELETE_MS = 2000;
const HOLD_COPY_MS = 1000;

type Base = EngineEvents['fileDeleted'];

interface Held {
  payload: Base;
  /** Content identity of the deleted file (see contentKey); null: never paired. */
  key: string | null;
  timer: NodeJS.Timeout;
}

interface HeldAdd {
  payload: EngineEvents['fileAdded'];
  key: string;
  timer: NodeJS.Timeout;
}

export class FileEvents {
  private readonly held = new Map<string, Held>();
  /** Peers' additions made of local content only, waiting a moment for their deletion. */
  private readonly heldAdds = new Map<string, HeldAdd>();
  /** Sources of renames reported before their deletion ran: that deletion is part of it. */
  private readonly renamedAway = new Map<string, number>();

  constructor(
    private readonly host: FolderHost,
    private readonly folder: { id: string; root: string },
  ) {}

  base(path: string, device: string): Base {
    return { folder: this.folder.id, dir: this.folder.root, path, device, at: this.host.now() };
  }

  /** A file changed or appeared (from a peer, or an edit here). */
  changed(kind: 'fileAdded' | 'fileUpdated', path: string, device: string, size: number): void {
    this.release(path);
    this.releaseAdd(path);
    this.host.emit(kind, { ...this.base(path, device), size });
  }

  /**
   * A new file appeared on this device's disk. Deleted here a moment ago under the same name:
   * an update (delete and recreate); with the same content under another name: a rename.
   */
  localAdded(record: FileRecord): void {
    const same = this.held.get(record.path);
    if (same) {
      this.drop(record.path);
      this.host.emit('fileUpdated', { ...this.base(record.path, ''), size: record.size });
      return;
    }
    if (this.renameOfHeldDeletion(record, '')) return;
    this.host.emit('fileAdded', { ...this.base(record.path, ''), size: record.size });
  }

  /**
   * A peer's new file landed. The same device's deletion of the same content a moment ago
   * makes the two one rename (even when the content had to be downloaded: the source was
   * archived as we copied from it). Made only of content this device had (`copiedOnly`): if
   * such a deletion follows in a moment, the two are one rename too.
   */
  peerAdded(record: FileRecord, device: string, copiedOnly: boolean): void {
    this.release(record.path);
    this.releaseAdd(record.path);
    if (this.renameOfHeldDeletion(record, device)) return;
    const key = contentKey(record);
    const payload = { ...this.base(record.path, device), size: record.size };
    if (key === null || !copiedOnly) {
      this.host.emit('fileAdded', payload);
      return;
    }
    const timer = setTimeout(() => this.releaseAdd(record.path), HOLD_COPY_MS);
    timer.unref();
    this.heldAdds.set(record.path, { payload, key, timer });
  }

  /**
   * `record` appeared with the content of a deletion by the same device that is still held:
   * the two are one rename, reported now. False when there is no such deletion.
   */
  private renameOfHeldDeletion(record: FileRecord, device: string): boolean {
    const key = contentKey(record);
    if (key === null) return false;
    for (const [from, h] of this.held) {
      if (h.key !== key || h.payload.device !== device) continue;
      this.drop(from);
      this.host.emit('fileRenamed', { ...this.base(record.path, device), from });
      return true;
    }
    return false;
  }

  /** A file was deleted (here or by a peer); `old` is what was on disk. */
  deleted(path: string, old: FileRecord | null, device: string): void {
    this.release(path);
    this.releaseAdd(path);
    const renamedAt = this.renamedAway.get(path);
    if (renamedAt !== undefined) {
      this.renamedAway.delete(path);
      if (this.host.now() - renamedAt < HOLD_DELETE_MS * 5) return; // already told as the rename
    }
    const payload = this.base(path, device);
    const key = old ? contentKey(old) : null;
    if (key !== null) {
      for (const [to, h] of this.heldAdds) {
        if (h.key !== key || h.payload.device !== device) continue;
        this.dropAdd(to);
        this.host.emit('fileRenamed', { ...this.base(to, device), from: path });
        return;
      }
    }
    if (key === null) {
      this.host.emit('fileDeleted', payload);
      return;
    }
    const timer = setTimeout(() => this.release(path), HOLD_DELETE_MS);
    timer.unref();
    this.held.set(path, { payload, key, timer });
  }

  /** A peer's rename landed here: the deletion of `from` was part of it. */
  renamed(path: string, from: string, device: string): void {
    // The deletion of `from` is held (dropped here), or still to come (swallowed then).
    if (this.held.has(from)) this.drop(from);
    else this.noteRenamedAway(from);
    this.release(path);
    this.releaseAdd(path);
    this.host.emit('fileRenamed', { ...this.base(path, device), from });
  }

  conflict(path: string, device: string, archivedAs: string): void {
    this.release(path);
    this.releaseAdd(path);
    this.host.emit('conflict', { ...this.base(path, device), archivedAs });
  }

  private noteRenamedAway(from: string): void {
    const now = this.host.now();
    for (const [p, at] of this.renamedAway) if (now - at >= HOLD_DELETE_MS * 5) this.renamedAway.delete(p);
    this.renamedAway.set(from, now);
  }

  /** Emit every held event now (the folder is closing). */
  flush(): void {
    for (const path of [...this.heldAdds.keys()]) this.releaseAdd(path);
    for (const path of [...this.held.keys()]) this.release(path);
  }

  private releaseAdd(path: string): void {
    const h = this.heldAdds.get(path);
    if (!h) return;
    this.dropAdd(path);
    this.host.emit('fileAdded', h.payload);
  }

  private dropAdd(path: string): void {
    const h = this.heldAdds.get(path);
    if (!h) return;
    clearTimeout(h.timer);
    this.heldAdds.delete(path);
  }

  /** Emit a held deletion of `path` (events about one path stay in order). */
  private release(path: string): void {
    const h = this.held.get(path);
    if (!h) return;
    this.drop(path);
    this.host.emit('fileDeleted', h.payload);
  }

  private drop(path: string): void {
    const h = this.held.get(path);
    if (!h) return;
    clearTimeout(h.timer);
    this.held.delete(path);
  }
}

/**
 * Identifies a file's content cheaply (size, chunk count, first and last chunk); null for
 * what cannot be told apart (empty files, directories).
 */
export function contentKey(r: FileRecord): string | null {
  if (r.kind !== 'file' || r.deleted || r.size === 0) return null;
  const first = r.chunks[0]?.hash.toString('base64') ?? '';
  const last = r.chunks[r.chunks.length - 1]?.hash.toString('base64') ?? '';
  return `${r.size}:${r.chunks.length}:${first}:${last}`;
}
