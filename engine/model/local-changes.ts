import fs from 'node:fs/promises';
import path from 'node:path';
import { isProgrammerError } from '../errors.js';
import type { Entry, LocalStat } from './entry.js';
import type { SyncFolder } from './folder.js';
import type { PartialHit, ScanHit } from './host.js';
import { UNSIGNED, type ChunkRef, type FileRecord } from './record.js';
import { IGNORE_FILE } from './paths.js';
import { checkRootPresent } from './root-marker.js';
import { bumpVersion, mergeVersions } from './version.js';

/**
 * Turns what the scanner and watcher see on this device's disk into index changes.
 * On a read-write folder a change becomes a new signed record, announced at once; on a
 * read-only folder it is only marked as a local change (never propagated) and, with
 * `overwrite_changes`, the shared version is restored.
 */
/**
 * A big file is previewed once this much of it is in complete chunks... The hasher reports
 * every 16 MiB read (hash-pool.ts PARTIAL_EVERY), and the chunks complete by then end a little
 * before that point: so the first preview comes with the report at 32 MiB read (with 32 MiB
 * here it waited for the one at 48 MiB).
 */
const PREVIEW_FROM = 16 * 1024 * 1024;
/** ...unless this little is left: the final record is about to follow, a preview would only double it. */
const PREVIEW_TAIL = 32 * 1024 * 1024;
/** ...and again each time the hashed part has doubled: all previews together list about as many chunks as the final record. */
const PREVIEW_GROWTH = 2;

export class LocalChanges {
  /** Bytes of the last preview sent per path being hashed (see onPartial). */
  private readonly previewBytes = new Map<string, number>();
  private readonly pendingPaths = new Set<string>();
  private readonly deferred = new Set<string>();
  private draining = false;
  private scanning: Promise<void> | null = null;
  /**
   * The next full scan takes the inventory of a folder never indexed before: what it finds
   * was there already, so it is indexed without a fileAdded event (and History entry) per
   * file. Adding a folder of 10,000 files is not 10,000 changes, and would push every real
   * entry out of History. Files that appear while the app was off are still reported.
   */
  inventoryNext = false;

  constructor(private readonly f: SyncFolder) {}

  /** The watcher saw something at `rel` (debounced). */
  pathChanged(rel: string): void {
    this.pendingPaths.add(rel);
    if (!this.draining) void this.drain();
  }

  /** A remote change to `rel` was applied: re-check it if the watcher fired meanwhile. */
  afterApply(rel: string): void {
    if (this.deferred.delete(rel)) this.pathChanged(rel);
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.pendingPaths.size > 0 && !this.f.isClosed && !this.f.error) {
        const batch = [...this.pendingPaths];
        this.pendingPaths.clear();
        await Promise.all(batch.map((rel) => this.scanOne(rel)));
      }
    } finally {
      this.draining = false;
    }
  }

  private async scanOne(rel: string): Promise<void> {
    const indexer = this.f.setup.indexer;
    if (rel === IGNORE_FILE) {
      // New rules: a full scan picks up what is no longer ignored (the indexer reloaded them).
      await this.scanAll();
      return;
    }
    const isDir = this.f.entries.get(rel)?.record.kind === 'dir';
    if (indexer.ignored(rel, isDir)) return;
    if (this.f.remote.applying.has(rel) || this.f.puller.isLanding(rel)) {
      // We are changing this path ourselves (a download may be in place already, its
      // folder fsync still running): look again once that is done.
      this.deferred.add(rel);
      return;
    }
    try {
      const e = this.f.entries.get(rel);
      const hit = await indexer.scanOne(rel, e?.stat ?? undefined, this.partialListener());
      if (hit) {
        this.onHit(hit);
        // Only folders are watched: files that land in a folder before its watch is set up
        // (a new folder filled at once) are found by looking inside it.
        if (hit.kind === 'dir') await this.lookInside(rel);
      }
      else if (!indexer.ignored(rel, isDir)) await this.onGone([rel, ...this.childrenOf(rel)]);
    } catch (err) {
      if (isProgrammerError(err)) throw err;
      this.f.reportError(err);
    } finally {
      this.endPreview(rel);
    }
  }

  /**
   * onPartial on a read-write folder. Asked for even while no peer is connected: a peer
   * that connects while a big file is being hashed (a folder just added on both devices)
   * gets its previews from then on, instead of waiting for the whole file's hash.
   */
  private partialListener(): ((p: PartialHit) => void) | undefined {
    return this.f.readOnly ? undefined : this.onPartial;
  }

  /**
   * A big file's first chunks while it is still being hashed: offered to connected peers
   * as a preview record (record.ts), so their download overlaps our hashing. The final
   * record follows with the same chunks first; previews grow geometrically, so even a
   * huge file costs only a few times its index in previews.
   */
  private readonly onPartial = (p: PartialHit): void => {
    const f = this.f;
    if (f.readOnly || f.peers.size === 0 || p.bytes < PREVIEW_FROM) return;
    if (p.fileSize - p.bytes < PREVIEW_TAIL) return;
    if (p.bytes < (this.previewBytes.get(p.path) ?? 0) * PREVIEW_GROWTH) return;
    const e = f.entries.get(p.path);
    // Only files new here: peers that hold an earlier version patch it from the chunks they
    // have, so only its changed chunks move, and previews of it would cost more index bytes
    // than they save time (measured: an insert of 1 MB into a 1 GiB file, 1.6 MB received
    // without, up to 2.3 MB with previews of the part after the insert).
    if (e && !e.record.deleted) return;
    this.previewBytes.set(p.path, p.bytes);
    const base = e ? mergeVersions(e.record.version, e.disk?.version ?? []) : [];
    const preview: FileRecord = {
      ...this.newRecord({
        path: p.path,
        kind: 'file',
        size: p.bytes,
        mtimeMs: p.mtimeMs,
        mode: p.mode & 0o777,
        chunks: [...p.chunks],
        deleted: false,
        // The version the final record will have, unless something else changes first.
        version: bumpVersion(base, f.host.deviceId),
      }),
      preview: true,
    };
    f.previews.set(p.path, preview);
    f.announcer.announce(preview);
  };

  /** Hashing of `rel` ended (its record committed, or given up): no more previews of it. */
  private endPreview(rel: string): void {
    if (!this.previewBytes.delete(rel)) return;
    this.f.previews.delete(rel);
  }

  private async lookInside(rel: string): Promise<void> {
    let names: string[];
    try {
      names = await fs.readdir(path.join(this.f.root, ...rel.split('/')));
    } catch {
      return; // gone again or unreadable: the next event or rescan tells
    }
    for (const name of names) this.pendingPaths.add(`${rel}/${name.normalize('NFC')}`);
  }

  private childrenOf(rel: string): string[] {
    const prefix = rel + '/';
    const out: string[] = [];
    for (const p of this.f.entries.keys()) if (p.startsWith(prefix)) out.push(p);
    return out;
  }

  /** Full scan: every path present is checked, paths no longer present are deletions. */
  scanAll(): Promise<void> {
    if (!this.scanning) {
      this.scanning = this.doScanAll().finally(() => {
        this.scanning = null;
      });
    }
    return this.scanning;
  }

  private async doScanAll(): Promise<void> {
    const f = this.f;
    f.indexing = true;
    const inventory = this.inventoryNext;
    this.inventoryNext = false;
    f.host.emit('folderState', { folder: f.id, dir: f.root, indexing: true, error: null });
    try {
      await f.setup.indexer.reloadIgnores();
      // A path whose disk state changes while the scan runs (a download lands, a folder is
      // created for a peer) may have been walked past already: not seen is not gone then.
      const diskAtStart = new Map<string, FileRecord | null>();
      for (const [p, e] of f.entries) diskAtStart.set(p, e.disk);
      const seen = await f.setup.indexer.scanAll(
        (p) => f.entries.get(p)?.stat ?? undefined,
        (hit) => {
          this.onHit(hit, inventory);
          this.endPreview(hit.path);
        },
        this.partialListener(),
      );
      const gone: string[] = [];
      for (const [p, e] of f.entries) {
        if (seen.has(p) || !e.disk || e.disk.deleted || diskAtStart.get(p) !== e.disk) continue;
        if (!f.setup.indexer.ignored(p, e.record.kind === 'dir')) gone.push(p);
      }
      if (gone.length > 0) await this.onGone(gone);
    } finally {
      f.indexing = false;
      f.host.emit('folderState', { folder: f.id, dir: f.root, indexing: false, error: f.error });
      f.announcer.flush();
      f.maybeFinished();
    }
  }

  /** `inventory`: found by a new folder's first scan, indexed without a fileAdded event. */
  onHit(hit: ScanHit, inventory = false): void {
    const f = this.f;
    const e = f.entries.get(hit.path);
    const stat: LocalStat = { size: hit.size, mtimeMs: hit.mtimeMs, ino: hit.ino };
    if (hit.chunks === null && hit.kind === 'file') {
      // Unchanged since we last hashed it; a read-only edit seen earlier is restored once
      // overwrite_changes is on (the rescan that turning it on starts lands here).
      if (f.readOnly && e?.localChanged && f.prefs.overwrite_changes) f.remote.restore(e);
      return;
    }
    if (e?.disk && !e.disk.deleted && sameAsDisk(e.disk, hit)) {
      if (!sameStat(e.stat, stat)) {
        e.stat = stat;
        f.markDirty(e);
      }
      return;
    }
    if (e && !e.record.deleted && e.disk !== e.record && sameAsDisk(e.record, hit)) {
      // The disk now holds the accepted version: our own download landing (seen before
      // the puller recorded it) or the user made the same change. Not a new change.
      f.remote.landed(e, stat);
      return;
    }
    if (f.readOnly) {
      this.readOnlyChange(hit.path, e, stat);
      return;
    }
    const base = e ? mergeVersions(e.record.version, e.disk?.version ?? []) : [];
    const record = this.newRecord({
      path: hit.path,
      kind: hit.kind,
      size: hit.kind === 'file' ? hit.size : 0,
      mtimeMs: hit.mtimeMs,
      mode: hit.mode & 0o777,
      chunks: hit.kind === 'file' ? (hit.chunks as ChunkRef[]) : [],
      deleted: false,
      version: bumpVersion(base, f.host.deviceId),
    });
    f.puller.cancel(hit.path);
    if (e?.disk && !e.disk.deleted) f.locator.removeFile(e.disk);
    const next: Entry = { record, disk: record, stat, localChanged: false };
    this.commit(next);
    const existed = !!e?.disk && !e.disk.deleted;
    if (hit.kind === 'file') {
      if (existed) f.events.changed('fileUpdated', hit.path, '', hit.size);
      else if (!inventory) f.events.localAdded(record);
    }
  }

  private async onGone(paths: string[]): Promise<void> {
    const f = this.f;
    // Mass deletions from an unmounted disk must never propagate: check the root first.
    try {
      await checkRootPresent(f.root, f.id, true);
    } catch (err) {
      f.stopWithError(err);
      return;
    }
    // Deepest first, so directory records follow their contents.
    paths.sort((a, b) => b.length - a.length);
    for (const p of paths) {
      const e = f.entries.get(p);
      if (!e || !e.disk || e.disk.deleted) continue;
      if (f.readOnly) {
        this.readOnlyChange(p, e, null);
        continue;
      }
      const record = this.newRecord({
        path: p,
        kind: e.record.kind,
        size: 0,
        mtimeMs: e.record.mtimeMs,
        mode: e.record.mode,
        chunks: [],
        deleted: true,
        version: bumpVersion(mergeVersions(e.record.version, e.disk.version), f.host.deviceId),
      });
      const old = e.disk;
      f.puller.cancel(p);
      f.locator.removeFile(old);
      this.commit({ record, disk: record, stat: null, localChanged: false });
      if (record.kind === 'file') f.events.deleted(p, old.kind === 'file' ? old : null, '');
    }
  }

  private readOnlyChange(p: string, e: Entry | undefined, stat: LocalStat | null): void {
    const f = this.f;
    if (!e) return; // a new local file on a read-only folder stays local
    e.stat = stat;
    if (!e.localChanged) {
      e.localChanged = true;
      f.markDirty(e);
      f.host.log.info(`Local change to ${p} in read-only folder is not propagated`, { folder: f.id });
    }
    if (f.prefs.overwrite_changes) f.remote.restore(e);
  }

  /**
   * A new record of this device's change; signed when first sent (record.ts UNSIGNED).
   * Written out field by field, in readRecord's order: built with a spread, every record
   * got a hidden class of its own once the spread's inline cache went megamorphic
   * (measured: 10,000 records, 10,000 maps, ~5 MiB of heap and slower property access).
   */
  private newRecord(r: Omit<FileRecord, 'sig' | 'changedAt' | 'origin'>): FileRecord {
    const f = this.f;
    const { path, kind, size, mtimeMs, mode, chunks, deleted, version } = r;
    return { path, kind, size, mtimeMs, mode, chunks, deleted, version, changedAt: f.host.now(), origin: f.host.deviceId, sig: UNSIGNED };
  }

  private commit(e: Entry): void {
    const f = this.f;
    f.entries.set(e.record.path, e);
    if (e.disk && !e.disk.deleted && e.disk.kind === 'file') f.locator.addFile(e.disk);
    f.reader.invalidate(e.record.path);
    f.markDirty(e);
    f.announcer.announce(e.record);
  }
}

function sameStat(a: LocalStat | null, b: LocalStat): boolean {
  return !!a && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino;
}

/** Does what the scanner found equal what the index says is on disk? */
function sameAsDisk(disk: FileRecord, hit: ScanHit): boolean {
  if (disk.kind !== hit.kind) return false;
  if (hit.kind === 'dir') return true;
  if ((disk.mode & 0o111) !== (hit.mode & 0o111)) return false;
  const chunks = hit.chunks;
  if (!chunks || chunks.length !== disk.chunks.length || disk.size !== hit.size) return false;
  for (let i = 0; i < chunks.length; i++) {
    if (chunks[i]!.size !== disk.chunks[i]!.size || !chunks[i]!.hash.equals(disk.chunks[i]!.hash)) return false;
  }
  return true;
}
