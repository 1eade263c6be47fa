import fs from 'node:fs/promises';
import path from 'node:path';
import { ShoalError, isProgrammerError } from '../errors.js';
import { archiverFor } from '../archive/archive.js';
import { applyDelete, applyDir } from '../transfer/apply.js';
import type { ArchiveFn } from '../transfer/assembler.js';
import { decide } from './decide.js';
import { isSynced, type Entry, type LocalStat } from './entry.js';
import { contentKey } from './file-events.js';
import type { SyncFolder } from './folder.js';
import type { PullHost, PulledInfo } from './pull-host.js';
import { sameContent, type FileRecord } from './record.js';

const RETRY_FAILED_PULL_MS = 5000;
const RENAME_WINDOW_MS = 10_000;
const PROGRESS_EVERY_MS = 250;
/** With a download limit, keep about this much time's worth of chunks requested from a peer. */
const LIMITED_WINDOW_S = 4;
const MIN_WINDOW_BYTES = 1024 * 1024;
const MAX_WINDOW_BYTES = 16 * 1024 * 1024;

/**
 * Applies what peers announce: decides (newer / older / conflict), then puts the accepted
 * version on disk — downloads through the puller, deletions and directories directly —
 * always archiving what it replaces or removes first. While syncing is paused the decisions
 * are still made (the index stays current) but nothing touches the disk until resume().
 */
export class RemoteChanges {
  /**
   * Paths we are deleting or creating as folders right now, each with a promise of the end of
   * that work (the watcher's echo is deferred; a copy from such a path waits for it).
   */
  readonly applying = new Map<string, Promise<void>>();
  private readonly conflicts = new Set<string>();
  private readonly recentlyDeleted = new Map<string, { path: string; at: number }>();
  private readonly lastProgress = new Map<string, number>();
  private deleteQueue: Array<{ e: Entry; peerId: string }> = [];
  private deleteScheduled = false;
  /** Where a download's old version was archived, by path (for the conflict event). */
  private readonly archivedAs = new Map<string, string>();
  /** Deletions and directories accepted while paused, by path. */
  private readonly held = new Map<string, { e: Entry; peerId: string }>();

  constructor(private readonly f: SyncFolder) {}

  consider(r: FileRecord, peerId: string): void {
    const f = this.f;
    if (f.setup.indexer.ignored(r.path, r.kind === 'dir')) return;
    const e = f.entries.get(r.path);
    const d = decide(e?.record, r);
    if (d.action === 'ignore' || d.action === 'keep-conflict') return;
    const next: Entry = { record: r, disk: e?.disk ?? null, stat: e?.stat ?? null, localChanged: e?.localChanged ?? false };
    f.entries.set(r.path, next);
    f.markDirty(next);
    f.noteWork();
    if (d.action === 'accept-conflict' && next.disk && !next.disk.deleted) this.conflicts.add(r.path);
    this.apply(next, peerId);
  }

  /**
   * A peer's preview of a big file it is still hashing: when that version would win here,
   * its chunks are downloaded into the temp file already (puller.prefetch). Nothing else
   * changes until the final record arrives (consider()).
   */
  considerPreview(r: FileRecord): void {
    const f = this.f;
    if (f.host.paused() || f.setup.indexer.ignored(r.path, false)) return;
    const d = decide(f.entries.get(r.path)?.record, r);
    if (d.action === 'accept' || d.action === 'accept-conflict') f.puller.prefetch(r);
  }

  /** After a restart: finish what was accepted but not yet on disk. */
  resumeIfPending(e: Entry): void {
    if (!isSynced(e) && !e.localChanged) {
      this.f.noteWork();
      this.apply(e, '');
    }
  }

  /**
   * Selective sync, a file unchosen: it leaves this device only. It is archived like any
   * file the engine removes, and no deletion is recorded or sent (with no disk state, the
   * watcher's "gone" finds nothing to report), so the other devices keep it.
   */
  async removeLocalCopy(e: Entry): Promise<void> {
    const f = this.f;
    const rel = e.record.path;
    f.puller.forget(rel);
    // A download of it may be landing right now (too late to stop): judge the disk after it.
    await f.puller.landed(rel);
    let failure: unknown = null;
    await this.guard(rel, async () => {
      const old = e.disk;
      if (!old || old.deleted || old.kind !== 'file') return;
      try {
        const expectOld = e.stat ? { size: e.stat.size, mtimeMs: e.stat.mtimeMs } : undefined;
        if (!(await applyDelete(f.root, rel, { kind: 'file', archive: this.archiver(), expectOld, isSynced: () => false }))) return;
      } catch (err) {
        failure = err; // changed here since it was indexed, or the disk refused: kept, and the caller is told
        return;
      }
      f.locator.removeFile(old);
      f.reader.invalidate(rel);
      e.disk = null;
      e.stat = null;
      e.localChanged = false;
      f.markDirty(e);
    });
    if (failure) throw failure;
  }

  /** Read-only folder with overwrite_changes: put the shared version back. */
  restore(e: Entry): void {
    this.f.noteWork();
    this.apply(e, '');
  }

  /** The disk turned out to hold the accepted version already. */
  landed(e: Entry, stat: LocalStat): void {
    const f = this.f;
    if (e.disk && !e.disk.deleted) f.locator.removeFile(e.disk);
    e.disk = e.record;
    e.stat = stat;
    e.localChanged = false;
    if (e.record.kind === 'file') f.locator.addFile(e.record);
    f.puller.cancel(e.record.path);
    f.markDirty(e);
    f.announcer.announce(e.record);
    f.maybeFinished();
  }

  /** Changes held while paused (they keep syncFinished from being reported). */
  get heldCount(): number {
    return this.held.size;
  }

  /** Syncing resumed: apply what was held, unless superseded meanwhile. */
  resume(): void {
    const held = [...this.held.values()];
    this.held.clear();
    for (const { e, peerId } of held) {
      if (this.f.entries.get(e.record.path) === e && !isSynced(e)) this.apply(e, peerId);
    }
    this.f.maybeFinished();
  }

  private apply(e: Entry, peerId: string): void {
    const f = this.f;
    const r = e.record;
    this.held.delete(r.path); // superseded by this newer change
    if (r.deleted) {
      if (!e.disk || e.disk.deleted) {
        e.disk = r;
        e.stat = null;
        f.announcer.announce(r);
        return;
      }
      // A rename arrives as this deletion plus an addition, and the addition's local copy may
      // finish before the deletion has run: remember the content now, so the addition is
      // still told apart as the rename it is (renameSource).
      const key = e.disk.kind === 'file' ? contentKey(e.disk) : null;
      if (key !== null) this.recentlyDeleted.set(key, { path: r.path, at: f.host.now() });
      if (f.host.paused()) {
        this.held.set(r.path, { e, peerId });
        return;
      }
      this.deleteQueue.push({ e, peerId });
      if (!this.deleteScheduled) {
        this.deleteScheduled = true;
        setImmediate(() => void this.runDeletes());
      }
      return;
    }
    if (r.kind === 'dir') {
      if (f.host.paused()) {
        this.held.set(r.path, { e, peerId });
        return;
      }
      void this.guard(r.path, async () => {
        await applyDir(f.root, r.path, r.mode);
        const st = await fs.stat(path.join(f.root, r.path));
        e.disk = r;
        e.stat = { size: 0, mtimeMs: Math.floor(st.mtimeMs), ino: st.ino };
        e.localChanged = false;
        f.markDirty(e);
        f.announcer.announce(r);
      });
      return;
    }
    if (e.disk && !e.disk.deleted && !e.localChanged && sameContent(e.disk, r)) {
      // Same bytes already here (e.g. both sides made the same edit): adopt the version.
      this.landed(e, e.stat ?? { size: r.size, mtimeMs: r.mtimeMs, ino: 0 });
      return;
    }
    f.puller.want(r);
  }

  private async runDeletes(): Promise<void> {
    this.deleteScheduled = false;
    const batch = this.deleteQueue;
    this.deleteQueue = [];
    if (this.f.host.paused()) {
      // Paused after these were queued: they wait for resume() like the rest.
      for (const item of batch) this.held.set(item.e.record.path, item);
      return;
    }
    // Deepest paths first so directories are empty when their turn comes.
    batch.sort((a, b) => b.e.record.path.split('/').length - a.e.record.path.split('/').length);
    for (const { e, peerId } of batch) {
      const f = this.f;
      const r = e.record;
      if (f.entries.get(r.path) !== e) continue; // superseded meanwhile
      await this.guard(r.path, async () => {
        const old = e.disk;
        const archive = this.archiver();
        let archivedAs: string | null = null;
        const removed = await applyDelete(f.root, r.path, {
          archive: archive
            ? async (abs) => {
                const res = await archive(abs);
                if (res && 'archivedAs' in res) archivedAs = res.archivedAs as string;
                return res;
              }
            : null,
          expectOld: old?.kind === 'file' && e.stat ? { size: e.stat.size, mtimeMs: e.stat.mtimeMs } : undefined,
          isSynced: (rel) => {
            const child = f.entries.get(rel);
            return !!child && (child.record.deleted || isSynced(child));
          },
        });
        if (!removed && (old?.kind ?? r.kind) === 'dir') {
          f.host.log.info(`Kept folder ${r.path}: it still holds files that are not synced`, { folder: f.id });
        }
        if (old && !old.deleted && old.kind === 'file') {
          f.locator.removeFile(old);
          // A rename arrives as a delete plus an add: the add copies its chunks from here.
          if (archivedAs) f.locator.addFile({ ...old, path: archivedAs });
          const key = contentKey(old);
          if (key !== null) this.recentlyDeleted.set(key, { path: r.path, at: f.host.now() });
        }
        f.reader.invalidate(r.path);
        e.disk = r;
        e.stat = null;
        e.localChanged = false;
        f.markDirty(e);
        f.announcer.announce(r);
        if (r.kind === 'file') f.events.deleted(r.path, old?.kind === 'file' ? old : null, f.host.deviceName(r.origin));
      });
    }
    this.f.maybeFinished();
  }

  private async guard(rel: string, work: () => Promise<void>): Promise<void> {
    let settle!: () => void;
    const settled = new Promise<void>((resolve) => (settle = resolve));
    this.applying.set(rel, settled);
    try {
      await work();
    } catch (err) {
      if (isProgrammerError(err)) throw err;
      this.f.reportError(err);
    } finally {
      if (this.applying.get(rel) === settled) this.applying.delete(rel);
      settle();
      this.f.local.afterApply(rel);
    }
  }

  /** Resolves once no deletion or folder change at `rel` is under way. */
  settled(rel: string): Promise<void> {
    return this.applying.get(rel) ?? Promise.resolve();
  }

  /** How replaced or deleted files are kept: `.SyncArchive`, unless turned off for the folder. */
  archiver(): ArchiveFn | null {
    const f = this.f;
    if (!f.prefs.use_sync_trash) return null;
    return archiverFor(f.root, { maxSizeBytes: f.host.prefs().max_file_size_for_versioning * 1024 * 1024 });
  }

  pullHost(): PullHost {
    const f = this.f;
    return {
      root: f.root,
      locator: f.locator,
      peersHaving: (r) => f.peersHaving(r),
      wantsContent: (r) => f.wantsContent(r),
      // max_file_size_diff_for_patching (BitTorrent Sync): patch from the old version only
      // when the new one differs from it in size by at most this many MB.
      mayPatch: (r) => {
        const old = f.entries.get(r.path)?.disk;
        if (!old || old.deleted || old.kind !== 'file') return true;
        const limit = f.host.prefs().max_file_size_diff_for_patching * 1024 * 1024;
        // A preview lists a first part of the file: its final size is at least that, so only
        // a part already beyond the old size by more than the limit rules patching out.
        if (r.preview) return r.size - old.size <= limit;
        return Math.abs(r.size - old.size) <= limit;
      },
      expectedOnDisk: (rel) => {
        const e = f.entries.get(rel);
        if (!e?.stat || !e.disk || e.disk.deleted) return null;
        return { size: e.stat.size, mtimeMs: e.stat.mtimeMs };
      },
      expectOwnRename: (rel) => f.setup.indexer.expectOwnRename(rel),
      settled: (rel) => this.settled(rel),
      archiver: (rel) => {
        const archive = this.archiver();
        if (!archive) return null;
        return async (abs) => {
          const res = await archive(abs);
          if (res && 'archivedAs' in res) this.archivedAs.set(rel, res.archivedAs as string);
          return res;
        };
      },
      paused: () => f.host.paused(),
      // Requests beyond what the limit lets through in a few seconds only queue up on the
      // way, and would keep arriving long after a pause or a change of the limit.
      windowFor: (peer) => {
        const p = f.host.prefs();
        if (p.download_limit <= 0 || (peer.lan && !p.rate_limit_local_peers)) return MAX_WINDOW_BYTES;
        return Math.min(MAX_WINDOW_BYTES, Math.max(MIN_WINDOW_BYTES, p.download_limit * 1024 * LIMITED_WINDOW_S));
      },
      onPulled: (record, info) => this.pulled(record, info),
      onPullFailed: (record, err) => this.pullFailed(record, err),
      onProgress: (record, peerId, done) => {
        const now = f.host.now();
        if (done < record.size && now - (this.lastProgress.get(record.path) ?? 0) < PROGRESS_EVERY_MS) return;
        this.lastProgress.set(record.path, now);
        f.host.emit('transferProgress', {
          folder: f.id,
          path: record.path,
          direction: 'down',
          peerId,
          bytesDone: done,
          bytesTotal: record.size,
        });
      },
    };
  }

  private async pulled(record: FileRecord, info: PulledInfo): Promise<void> {
    const f = this.f;
    this.lastProgress.delete(record.path);
    const e = f.entries.get(record.path);
    if (!e) {
      f.local.afterApply(record.path);
      return;
    }
    const previous = e.disk && !e.disk.deleted ? e.disk : null;
    if (previous) f.locator.removeFile(previous);
    e.disk = record;
    // The stat our download was put in place with. An edit made as it landed is seen by the
    // watcher, whose report waited for this (afterApply below) and now finds another stat.
    const st = info.stat;
    const ours = st.size === record.size && st.mtimeMs === record.mtimeMs;
    e.stat = ours ? { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino } : null;
    e.localChanged = false;
    f.locator.addFile(record);
    f.reader.invalidate(record.path);
    f.markDirty(e);
    if (e.record === record) f.announcer.announce(record);
    const device = f.host.deviceName(record.origin);
    const renamedFrom = this.renameSource(record, info);
    const archivedAs = this.archivedAs.get(record.path) ?? '.SyncArchive/' + record.path;
    this.archivedAs.delete(record.path);
    if (this.conflicts.delete(record.path)) f.events.conflict(record.path, device, archivedAs);
    if (renamedFrom) f.events.renamed(record.path, renamedFrom, device);
    else if (previous) f.events.changed('fileUpdated', record.path, device, record.size);
    else f.events.peerAdded(record, device, info.fetchedBytes === 0 && info.copiedBytes > 0);
    if (!ours) f.local.pathChanged(record.path);
    f.local.afterApply(record.path);
    f.maybeFinished();
  }

  private renameSource(record: FileRecord, info: { fetchedBytes: number }): string | null {
    const key = contentKey(record);
    if (info.fetchedBytes > 0 || key === null) return null;
    const hit = this.recentlyDeleted.get(key);
    const now = this.f.host.now();
    for (const [k, v] of this.recentlyDeleted) if (now - v.at > RENAME_WINDOW_MS) this.recentlyDeleted.delete(k);
    if (!hit || now - hit.at > RENAME_WINDOW_MS) return null;
    this.recentlyDeleted.delete(key);
    return hit.path;
  }

  private pullFailed(record: FileRecord, err: ShoalError): void {
    const f = this.f;
    this.archivedAs.delete(record.path);
    f.reportError(new ShoalError(err.code, `Could not download ${record.path}: ${err.message}`));
    if (err.code === 'DISK_FULL' || err.code === 'FOLDER_PATH_MISSING') return;
    const timer = setTimeout(() => {
      const e = f.entries.get(record.path);
      if (e && e.record === record && !isSynced(e) && !f.isClosed) f.puller.want(record);
    }, RETRY_FAILED_PULL_MS);
    timer.unref();
  }
}
