import type { FolderInfo, FolderPrefs } from '../api/contract.js';
import { ShoalError, isProgrammerError, toErrorData, type ErrorData } from '../errors.js';
import { Announcer } from './announcer.js';
import { ChunkReader } from './chunk-reader.js';
import { isSynced, type Entry } from './entry.js';
import { FileEvents } from './file-events.js';
import type { FolderHost, FolderSetup } from './host.js';
import { LocalChanges } from './local-changes.js';
import { ChunkLocator } from './locator.js';
import { checkRootPresent, writeRootMarker } from './root-marker.js';
import { SelectiveSync } from './selective-sync.js';
import type { ChunkRequest, PeerLink } from './peer-link.js';
import { Puller } from './puller.js';
import { FolderCounts } from './counts.js';
import { downloadsFrom, uploadsTo, type QueueFile } from './queue.js';
import { SIG_BYTES, isSigned, sameRecord, signInPlace, type FileRecord } from './record.js';
import { IndexIntake } from './index-intake.js';
import { slabBytes } from '../index/slab.js';
import { EntryWriter } from './entry-writer.js';
import { RemoteChanges } from './remote-changes.js';
import { UploadTracker } from './upload-tracker.js';
import { compareVersions } from './version.js';

interface PeerState {
  link: PeerLink;
  /** What the peer announced it has, per path. */
  index: Map<string, FileRecord>;
  /** Previews of big files the peer is still hashing, per path (record.ts). */
  previews: Map<string, FileRecord>;
  complete: boolean;
}

/**
 * One synced folder on this device: its index, its peers, and the loops that keep it
 * identical to theirs. Local changes are in local-changes.ts, applying peers' changes in
 * remote-changes.ts, downloads in puller.ts; this class owns the state and lifecycle.
 */
export class SyncFolder {
  readonly entries = new Map<string, Entry>();
  readonly peers = new Map<string, PeerState>();
  readonly locator = new ChunkLocator();
  readonly reader: ChunkReader;
  /** Previews of big files being hashed right now, whose chunks peers may already fetch. */
  readonly previews = new Map<string, FileRecord>();
  readonly puller: Puller;
  readonly announcer: Announcer;
  readonly local: LocalChanges;
  readonly remote: RemoteChanges;
  readonly events: FileEvents;
  readonly uploads = new UploadTracker();
  /** Which files a selective_sync folder downloads (selective-sync.ts). */
  readonly selection: SelectiveSync;
  prefs: FolderPrefs;
  knownHosts: string[] = [];
  indexing = false;
  error: ErrorData | null = null;
  private rescanTimer: NodeJS.Timeout | null = null;
  private started = false;
  private closed = false;
  private hadWork = false;
  /** Files, size and what peers lack, kept current per changed path (polled by the API). */
  private readonly counts = new FolderCounts();
  /** Peers' index messages, signatures checked, applied in order (applyIndex). */
  private readonly intake: IndexIntake;
  /** Changed entries go to the folder's store in batches (entry-writer.ts). */
  private readonly writer: EntryWriter;

  constructor(readonly setup: FolderSetup, readonly host: FolderHost) {
    this.writer = new EntryWriter(this.entries, setup.store, (err) => this.reportError(err));
    this.selection = new SelectiveSync(setup.store, this.entries, this.locator);
    this.prefs = { ...setup.prefs };
    this.events = new FileEvents(host, this);
    this.reader = new ChunkReader(setup.root);
    this.announcer = new Announcer(
      () => [...this.peers.values()].map((p) => p.link),
      (r) => this.signForSending(r),
    );
    this.local = new LocalChanges(this);
    this.remote = new RemoteChanges(this);
    this.puller = new Puller(this.remote.pullHost());
    this.intake = new IndexIntake(setup.keys, (r) => this.holdsSame(r), this.applyIndex, (err) => this.reportError(err));
  }

  get keys() {
    return this.setup.keys;
  }
  get root(): string {
    return this.setup.root;
  }
  get id(): string {
    return this.setup.keys.folderIdHex;
  }
  get readOnly(): boolean {
    return this.setup.keys.kind === 'read_only';
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.selection.load();
    for (const e of await this.setup.store.load()) {
      this.entries.set(e.record.path, e);
      if (e.disk && !e.disk.deleted && e.disk.kind === 'file') this.locator.addFile(e.disk);
    }
    this.counts.touchAll();
    this.local.inventoryNext = this.entries.size === 0;
    // A folder new here: its first scan hashes everything, so the hashing thread starts now.
    if (this.entries.size === 0) void this.setup.indexer.warmUp();
    try {
      await checkRootPresent(this.root, this.id, this.entries.size > 0);
      await writeRootMarker(this.root, this.id);
    } catch (err) {
      this.stopWithError(err);
      return;
    }
    for (const e of this.entries.values()) this.remote.resumeIfPending(e);
    await this.setup.indexer.watch(
      (rel) => this.local.pathChanged(rel),
      () => void this.rootGone(),
      () => {
        this.host.log.info(`Rescanning ${this.root}: so many changes arrived at once that some may not have been reported`, { folder: this.id });
        void this.rescan();
      },
    );
    void this.rescan();
    this.scheduleRescan();
  }

  /** Full rescan (startup, the periodic timer, the API). */
  async rescan(): Promise<void> {
    if (this.closed || this.error) return;
    try {
      await this.local.scanAll();
    } catch (err) {
      if (isProgrammerError(err)) throw err;
      // A scan cut short by the folder closing (its index store shut under it) is no error.
      if (!this.closed) this.reportError(err);
    }
  }

  private scheduleRescan(): void {
    const secs = Math.max(1, this.host.prefs().folder_rescan_interval);
    this.rescanTimer = setTimeout(() => {
      void this.rescan().finally(() => {
        if (!this.closed) this.scheduleRescan();
      });
    }, secs * 1000);
    this.rescanTimer.unref();
  }

  /** The folder's path vanished (unmounted disk): stop rather than propagate deletions. */
  async rootGone(): Promise<void> {
    try {
      await checkRootPresent(this.root, this.id, true);
    } catch (err) {
      this.stopWithError(err);
    }
  }

  stopWithError(err: unknown): void {
    const data = toErrorData(err);
    this.error = data;
    this.host.log.error(`Folder ${this.root} stopped: ${data.message}`, { folder: this.id, code: data.code });
    this.host.emit('folderState', { folder: this.id, dir: this.root, indexing: false, error: data });
    this.host.emit('error', { ...data, folder: this.id });
    void this.puller.close();
    void this.setup.indexer.close();
  }

  reportError(err: unknown, peerId?: string): void {
    const data = toErrorData(err);
    this.host.log.warn(data.message, { folder: this.id, code: data.code, peerId });
    this.host.emit('error', { ...data, folder: this.id, ...(peerId ? { peerId } : {}) });
  }

  // ---- peers

  addPeer(link: PeerLink): void {
    if (this.closed) return;
    this.peers.set(link.id, { link, index: new Map(), previews: new Map(), complete: false });
    this.counts.peerAdded(link.id);
    this.announcer.sendFull(link, this.announceable());
    this.puller.kick();
  }

  /** Detach a peer; `link` guards against removing a newer connection to the same device. */
  removePeer(id: string, link?: PeerLink): void {
    if (link && this.peers.get(id)?.link !== link) return;
    this.peers.delete(id);
    this.counts.peerRemoved(id);
    this.puller.kick();
  }

  /** Records we have and may announce (read-only folders never announce local edits). */
  *announceable(): Iterable<FileRecord> {
    for (const e of this.entries.values()) {
      if (isSynced(e)) yield e.record;
    }
  }

  /** A peer's index message. A promise: stop reading from that peer until it resolves (index-intake.ts). */
  onIndex(peerId: string, records: FileRecord[], complete: boolean): Promise<void> | undefined {
    if (!this.peers.has(peerId) || this.closed || this.error) return undefined;
    return this.intake.receive(peerId, records, complete);
  }

  /** A peer's index message, ok[i] telling whether records[i] may be taken (index-intake.ts). */
  private readonly applyIndex = (peerId: string, records: FileRecord[], ok: readonly boolean[], complete: boolean): void => {
    const peer = this.peers.get(peerId);
    if (!peer || this.closed || this.error) return;
    let bad = 0;
    records.forEach((r, i) => {
      if (!ok[i]) {
        bad++;
        return;
      }
      if (r.preview) {
        peer.previews.set(r.path, r);
        this.remote.considerPreview(r);
        return;
      }
      peer.previews.delete(r.path);
      peer.index.set(r.path, r);
      this.counts.touchPeer(peerId, r.path);
      this.remote.consider(r, peerId);
    });
    if (bad > 0) {
      this.reportError(
        new ShoalError('BAD_SIGNATURE', `${peer.link.name} sent ${bad} change(s) not signed with this folder's key; they were ignored.`),
        peerId,
      );
    }
    if (complete) peer.complete = true;
    this.puller.kick();
    this.maybeFinished();
  };

  /** A record identical to one we hold (a peer confirming what it got from us) was verified or signed here already. */
  private holdsSame(r: FileRecord): boolean {
    const known = this.entries.get(r.path)?.record;
    return !!known && sameRecord(known, r);
  }

  /** Read a chunk a peer asked for into `into` (req.size bytes), after checking the request. */
  async serve(peerId: string, req: ChunkRequest, into: Buffer): Promise<void> {
    if (this.error) throw new ShoalError('FOLDER_PATH_MISSING', this.error.message);
    if (!this.peers.has(peerId)) throw new ShoalError('AUTH_FAILED', 'Folder not shared with this peer');
    // The requester backs off from a paused device for a moment (peer-session.ts).
    if (this.host.paused()) throw new ShoalError('PAUSED', `${this.host.prefs().device_name} has paused syncing.`);
    const e = this.entries.get(req.path);
    const disk = e?.disk;
    const served = disk && !disk.deleted && disk.kind === 'file' && !e.localChanged ? disk : null;
    // A chunk of a file still being hashed here comes from its preview (local-changes.ts).
    const preview = this.previews.get(req.path);
    const from = served && (!preview || this.reader.has(served, req)) ? served : preview;
    if (!from) throw new ShoalError('BAD_REQUEST', 'File not available');
    await this.reader.read(from, req, into);
    const sent = this.uploads.served(from, peerId, req.size);
    if (sent !== null) {
      this.host.emit('transferProgress', { folder: this.id, path: from.path, direction: 'up', peerId, bytesDone: sent, bytesTotal: from.size });
    }
  }

  /**
   * Peers that announced exactly this version of a file (and are not paused); for a
   * preview, those that previewed it (the chunks it lists are the ones they serve).
   */
  peersHaving(record: FileRecord): PeerLink[] {
    const out: PeerLink[] = [];
    for (const p of this.peers.values()) {
      if (p.link.paused) continue;
      const theirs = (record.preview ? p.previews.get(record.path) : undefined) ?? p.index.get(record.path);
      if (theirs && !theirs.deleted && compareVersions(theirs.version, record.version) === 'equal') out.push(p.link);
    }
    return out;
  }

  /** This device's own records are signed when first sent (record.ts UNSIGNED). */
  private signForSending(r: FileRecord): void {
    if (isSigned(r)) return;
    if (!this.keys.signingKey) throw new ShoalError('INTERNAL', `Unsigned record in a read-only folder: ${r.path}`);
    signInPlace(this.keys.folderId, this.keys.signingKey, r, slabBytes(SIG_BYTES));
    // Stored with its signature from now on (a restart then need not sign it again).
    const e = this.entries.get(r.path);
    if (e && (e.record === r || e.disk === r)) this.markDirty(e);
  }

  /** Is this record's content to be downloaded here (always, unless selective sync leaves it out)? */
  wantsContent(r: FileRecord): boolean {
    return !this.prefs.selective_sync || this.selection.wants(r);
  }

  /** set_file_prefs on a selective_sync folder: download a file, or remove it from this device only. */
  async chooseFile(e: Entry, download: boolean): Promise<void> {
    await this.selection.choose(e.record.path, download);
    if (download) this.remote.resumeIfPending(e);
    else await this.remote.removeLocalCopy(e);
  }

  /** selective_sync was switched on or off: fetch what is wanted now, stop what no longer is. */
  selectionChanged(): void {
    for (const e of this.entries.values()) {
      if (!this.wantsContent(e.record)) this.puller.forget(e.record.path);
      else this.remote.resumeIfPending(e);
    }
  }

  // ---- persistence

  /** Every change to an entry comes through here: it is stored, and counted again. */
  markDirty(e: Entry): void {
    this.counts.touch(e.record.path);
    this.writer.changed(e.record.path);
  }

  // ---- status

  /** Called after work: emits syncFinished once nothing is left to pull. */
  noteWork(): void {
    this.hadWork = true;
  }

  maybeFinished(): void {
    if (!this.hadWork || this.puller.pendingCount > 0 || this.remote.heldCount > 0 || this.indexing || this.intake.pending > 0) return;
    this.hadWork = false;
    this.host.emit('syncFinished', { folder: this.id, dir: this.root, at: this.host.now() });
  }

  info(secretShown: string): FolderInfo {
    const { files, bytes: size } = this.counts.folderTotals(this.entries);
    return {
      dir: this.root,
      secret: secretShown,
      size,
      type: this.keys.kind,
      files,
      error: this.error ? 1 : 0,
      error_code: this.error?.code ?? null,
      error_message: this.error?.message ?? null,
      indexing: this.indexing ? 1 : 0,
      down_bytes: this.puller.pendingBytes,
      up_bytes: this.upBytes(),
    };
  }

  /** Bytes connected peers still lack of what we have (one peer's, or all of them). */
  upBytes(peerId?: string): number {
    if (peerId !== undefined) {
      const p = this.peers.get(peerId);
      return p ? this.counts.uploads(this.entries, peerId, p).bytes : 0;
    }
    let n = 0;
    for (const [id, p] of this.peers) n += this.counts.uploads(this.entries, id, p).bytes;
    return n;
  }

  /** Bytes still to arrive of the files we need that this peer has. */
  downBytes(peerId: string): number {
    const p = this.peers.get(peerId);
    let n = 0;
    if (p) for (const q of downloadsFrom(this, p)) n += q.left;
    return n;
  }

  /** The files behind downBytes / upBytes for one peer. */
  queueWith(peerId: string): { download: Iterable<QueueFile>; upload: Iterable<QueueFile> } {
    const p = this.peers.get(peerId);
    if (!p) return { download: [], upload: [] };
    return { download: downloadsFrom(this, p), upload: uploadsTo(this, p) };
  }

  /** Nothing left to move with this peer, as far as its complete index tells. */
  syncedWith(peerId: string): boolean {
    const p = this.peers.get(peerId);
    if (!p || !p.complete) return false;
    if (!downloadsFrom(this, p).next().done) return false;
    return this.counts.uploads(this.entries, peerId, p).files === 0;
  }

  /** Anything left to download, apply or upload in this folder. */
  get busy(): boolean {
    if (this.puller.pendingCount > 0 || this.remote.heldCount > 0) return true;
    for (const [id, p] of this.peers) if (this.counts.uploads(this.entries, id, p).files > 0) return true;
    return false;
  }

  /** Syncing resumed on this device: finish and continue what the pause held. */
  resume(): void {
    if (this.closed || this.error) return;
    this.remote.resume();
    this.puller.resume();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.rescanTimer) clearTimeout(this.rescanTimer);
    this.announcer.flush();
    this.events.flush();
    await this.puller.close();
    await this.setup.indexer.close();
    await this.reader.close();
    await this.writer.close();
  }

  get isClosed(): boolean {
    return this.closed;
  }
}

