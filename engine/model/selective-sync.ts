import { ShoalError } from '../errors.js';
import type { Entry } from './entry.js';
import type { EntryStore } from './host.js';
import type { ChunkLocator } from './locator.js';
import type { FileRecord } from './record.js';

/** Where the chosen paths are kept in the folder's store (one value: they are few). */
const META_KEY = 'selected';
/** A bound on what one folder's selection may hold (and on what a stored one may claim). */
export const MAX_SELECTED = 200_000;

/**
 * Selective sync (BitTorrent Sync's `selective_sync` folders and `set_file_prefs`): such a
 * folder downloads only the files chosen on this device, plus new versions of the files
 * already here (its own, or chosen earlier). Everything else stays listed (get_files shows
 * `download: 0`) without its content being fetched.
 *
 * Choosing a file downloads it. Unchoosing one removes it from this device only: it goes to
 * `.SyncArchive` like any file the engine removes, and no deletion is recorded or sent, so
 * the other devices keep it. The choice persists in the folder's index store.
 */
export class SelectiveSync {
  private readonly chosen = new Set<string>();
  private saving: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: EntryStore,
    private readonly entries: ReadonlyMap<string, Entry>,
    private readonly locator: ChunkLocator,
  ) {}

  async load(): Promise<void> {
    const raw = await this.store.getMeta(META_KEY);
    if (!raw) return;
    let list: unknown;
    try {
      list = JSON.parse(raw.toString('utf8'));
    } catch {
      return; // unreadable: nothing chosen (files already here keep syncing)
    }
    if (!Array.isArray(list)) return;
    for (const p of list.slice(0, MAX_SELECTED)) if (typeof p === 'string') this.chosen.add(p);
  }

  isChosen(path: string): boolean {
    return this.chosen.has(path);
  }

  /** On a selective_sync folder: should the content of this record be fetched? */
  wants(r: FileRecord): boolean {
    if (r.kind !== 'file' || r.deleted || this.chosen.has(r.path)) return true;
    // A file already on this device keeps getting new versions...
    const disk = this.entries.get(r.path)?.disk;
    if (disk && !disk.deleted) return true;
    // ...and one whose content is here already (a file here renamed or copied on another
    // device) is put in place from it: without this, renaming a chosen file elsewhere
    // would take it off this device.
    return r.chunks.length > 0 && r.chunks.every((c) => this.locator.find(c.hash) !== undefined);
  }

  async choose(path: string, download: boolean): Promise<void> {
    if (download) {
      if (!this.chosen.has(path) && this.chosen.size >= MAX_SELECTED) {
        throw new ShoalError('BAD_REQUEST', `At most ${MAX_SELECTED} files can be chosen in one folder.`);
      }
      this.chosen.add(path);
    } else this.chosen.delete(path);
    await this.save();
  }

  /** Saves run one after another, each writing the whole (current) set. */
  private save(): Promise<void> {
    const next = this.saving.then(() => this.store.setMeta(META_KEY, Buffer.from(JSON.stringify([...this.chosen]))));
    this.saving = next.catch(() => undefined);
    return next;
  }
}
