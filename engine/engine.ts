import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { EngineEvents, EngineStatus, EventName, FolderPrefs, MethodName, MethodParams, MethodResult, Prefs } from './api/contract.js';
import { cleanupArchive } from './archive/archive.js';
import type { DaemonConfig } from './daemon/config.js';
import type { Logger } from './daemon/log.js';
import type { DaemonEngine } from './daemon/types.js';
import type { LanDiscoveryOptions } from './discovery/lan.js';
import { engineMethods } from './engine-methods.js';
import { ShoalError, isProgrammerError, toErrorData } from './errors.js';
import { recordHistory } from './history/history.js';
import { HistoryStore } from './history/history-store.js';
import { IndexStore } from './index/store.js';
import { FolderIndexer } from './index/folder-indexer.js';
import type { FileHasher } from './index/scan-entry.js';
import { SyncFolder } from './model/folder.js';
import type { FolderHost } from './model/host.js';
import { entryCodec, levelEntryStore } from './model/level-entry-store.js';
import { PeerFinder } from './net/peer-finder.js';
import { PeerManager } from './net/peer-manager.js';
import type { PeerSession } from './net/peer-session.js';
import { TokenBucket } from './net/rate-limit.js';
import { loadOrCreateIdentity, type DeviceIdentity } from './secrets/device.js';
import { parseSecret } from './secrets/secret.js';
import { effectiveSettings, type EffectiveFolder } from './settings/effective.js';
import { SettingsStore } from './settings/settings-store.js';
import { SpeedMeter } from './status/speed-meter.js';
import { trackStatus, type StatusTracker } from './status/status.js';

export interface EngineOptions {
  config: DaemonConfig;
  log: Logger;
  /** Wall clock (ms); tests inject a skewed one. */
  clock?: () => number;
  /** Address the peer listener binds to (default all interfaces; tests use 127.0.0.1). */
  listenHost?: string;
  /** LAN discovery socket options, or false to turn LAN discovery off for this engine. */
  lan?: Partial<LanDiscoveryOptions> | false;
  /** How files are hashed (default index/hasher.ts hashFile); tests wrap it to watch or pace hashing. */
  hasher?: FileHasher;
  /** false: this engine's connections never use runs of chunks (tests: a peer from before them). */
  chunkRuns?: boolean;
}

const HOSTS_DIAL_EVERY_MS = 5000;
const ARCHIVE_CLEANUP_EVERY_MS = 6 * 3600 * 1000;
const SPEED_SAMPLE_MS = 1000;
const LOW_PRIORITY_NICE = 10;

/**
 * The engine: folders, peers, settings and the typed API. One per device; the daemon and
 * the desktop app's utility process each host one.
 */
export class Engine implements DaemonEngine {
  readonly folders = new Map<string, SyncFolder>();
  /**
   * The folders peers may join and LAN discovery announces: those whose start() finished.
   * A folder still loading its index must not meet a peer: it would send that peer an
   * empty "complete" index, and the peer's records would race the load.
   */
  private readonly openToPeers = new Map<string, SyncFolder>();
  readonly secretsById = new Map<string, string>();
  readonly identity: DeviceIdentity;
  readonly settings: SettingsStore;
  readonly peers: PeerManager;
  /** LAN discovery and predefined hosts (net/peer-finder.ts). */
  readonly finder: PeerFinder;
  prefs: Prefs;
  folderDefaults: FolderPrefs;
  readonly now: () => number;
  readonly up = new TokenBucket(0);
  readonly down = new TokenBucket(0);
  speed = { download: 0, upload: 0 };
  /** Syncing paused by the user (persisted): peers stay connected, no data moves. */
  paused: boolean;
  readonly speedMeter = new SpeedMeter();
  readonly status: StatusTracker;
  readonly history: HistoryStore;
  private readonly listeners = new Map<EventName, Set<(p: never) => void>>();
  private readonly timers: NodeJS.Timeout[] = [];
  private closing: Promise<void> | null = null;
  private resolveClosed!: () => void;
  readonly closed = new Promise<void>((resolve) => (this.resolveClosed = resolve));

  private constructor(
    readonly opts: EngineOptions,
    readonly store: IndexStore,
  ) {
    const cfg = opts.config;
    this.now = opts.clock ?? Date.now;
    this.identity = loadOrCreateIdentity(cfg.storage_path);
    this.settings = SettingsStore.open(cfg.storage_path);
    const eff = effectiveSettings(cfg, this.settings.get());
    this.prefs = eff.prefs;
    this.folderDefaults = eff.folderDefaults;
    this.paused = this.settings.paused;
    for (const d of eff.dropped) opts.log.info(`Not using stored folder ${d.dir}: ${d.reason}`);
    this.history = HistoryStore.open(cfg.storage_path, {
      onError: (err) => opts.log.warn(`History could not be saved: ${toErrorData(err).message}`),
    });
    recordHistory((e, fn) => this.on(e, fn), this.history, (entry) => this.emit('history', entry));
    this.status = trackStatus(this, {
      deviceId: this.identity.id,
      deviceName: () => this.prefs.device_name,
      paused: () => this.paused,
      speed: () => ({ ...this.speed }),
      folders: () => this.folders.values(),
      connectedPeers: () => this.connectedDevices().length,
      transfers: () => {
        let n = 0;
        for (const f of this.folders.values()) n += f.puller.transfers().length + f.uploads.active().length;
        return n;
      },
    });
    this.applyLimits();
    this.peers = new PeerManager({
      identity: this.identity,
      deviceName: () => this.prefs.device_name,
      listenHost: opts.listenHost ?? cfg.bind_address ?? '0.0.0.0',
      listenPort: this.prefs.listening_port,
      now: this.now,
      maxTimeDiffS: () => this.prefs.sync_max_time_diff,
      externalPort: () => this.prefs.external_port,
      plainLan: () => !this.prefs.lan_encrypt_data,
      chunkRuns: opts.chunkRuns,
      limiter: (lan) => (lan && !this.prefs.rate_limit_local_peers ? undefined : { up: this.up, down: this.down }),
      bufferSizes: () => ({ sendBufSize: this.prefs.send_buf_size, recvBufSize: this.prefs.recv_buf_size }),
      folders: () => this.openToPeers,
      emit: (e, p) => this.emit(e, p),
      log: opts.log,
    });
    this.finder = new PeerFinder({ deviceId: this.identity.id, peers: this.peers, folders: () => this.openToPeers.values(), lan: opts.lan, log: opts.log });
    this.pendingFolders = eff.folders;
  }

  private pendingFolders: EffectiveFolder[];

  static async create(opts: EngineOptions): Promise<Engine> {
    fs.mkdirSync(opts.config.storage_path, { recursive: true, mode: 0o700 });
    const store = await IndexStore.open(path.join(opts.config.storage_path, 'index'));
    const engine = new Engine(opts, store);
    try {
      await engine.start();
    } catch (err) {
      await engine.close();
      throw err;
    }
    return engine;
  }

  private async start(): Promise<void> {
    this.applyDiskPriority();
    const port = await this.peers.listen();
    if (this.prefs.listening_port === 0) {
      // BitTorrent Sync picked a random port once and kept it.
      this.prefs.listening_port = port;
      this.settings.setPrefs({ listening_port: port });
    }
    this.opts.log.info(`Shoal device ${this.prefs.device_name} (${this.identity.shortId}) listening on port ${port}`);
    for (const f of this.pendingFolders) {
      try {
        await this.openFolder(f);
      } catch (err) {
        if (isProgrammerError(err)) throw err;
        this.opts.log.error(`Folder ${f.dir} could not be opened: ${toErrorData(err).message}`);
      }
    }
    this.pendingFolders = [];
    await this.finder.refreshLan();
    this.every(HOSTS_DIAL_EVERY_MS, () => this.finder.dialKnownHosts());
    this.every(SPEED_SAMPLE_MS, () => this.sampleSpeed());
    this.every(ARCHIVE_CLEANUP_EVERY_MS, () => void this.cleanupArchives());
    void this.cleanupArchives();
    this.finder.dialKnownHosts();
  }

  private every(ms: number, fn: () => void): void {
    const t = setInterval(fn, ms);
    t.unref();
    this.timers.push(t);
  }

  // ---- folders

  async openFolder(f: EffectiveFolder): Promise<SyncFolder> {
    const keys = parseSecret(f.secret);
    if (this.folders.has(keys.folderIdHex)) throw new ShoalError('FOLDER_EXISTS', `This folder is already synced (${this.folders.get(keys.folderIdHex)!.root}).`);
    const root = path.resolve(f.dir);
    const host: FolderHost = {
      deviceId: this.identity.id,
      now: this.now,
      prefs: () => this.prefs,
      emit: (e, p) => this.emit(e, p),
      log: this.opts.log,
      deviceName: (id) => this.deviceName(id),
      paused: () => this.paused,
    };
    const folder = new SyncFolder(
      {
        keys,
        root,
        prefs: f.prefs,
        store: levelEntryStore(this.store.folder(keys.folderIdHex, entryCodec)),
        indexer: new FolderIndexer(root, { hasher: this.opts.hasher }),
      },
      host,
    );
    folder.knownHosts = f.knownHosts;
    this.folders.set(keys.folderIdHex, folder);
    this.secretsById.set(keys.folderIdHex, f.secret);
    await folder.start();
    if (this.folders.get(keys.folderIdHex) === folder) this.openToPeers.set(keys.folderIdHex, folder);
    await this.finder.refreshLan();
    this.finder.dialFolderHosts(folder);
    return folder;
  }

  async closeFolder(folder: SyncFolder): Promise<void> {
    this.folders.delete(folder.id);
    this.openToPeers.delete(folder.id);
    this.secretsById.delete(folder.id);
    this.peers.folderRemoved(folder.id);
    await this.finder.refreshLan();
    await folder.close();
  }

  folderBySecret(secret: string): SyncFolder {
    // The secrets of the folders here, as they were given, are found without deriving keys
    // (parseSecret allocates locked memory for a signing key: ~0.2 ms and a few system calls
    // for every API call that names a folder, which a polling UI makes several times a second).
    for (const f of this.folders.values()) {
      if (f.keys.readWriteSecret === secret || f.keys.readOnlySecret === secret) return f;
    }
    let id: string;
    try {
      id = parseSecret(secret).folderIdHex;
    } catch {
      throw new ShoalError('FOLDER_NOT_FOUND', 'No folder with this secret.');
    }
    const f = this.folders.get(id);
    if (!f) throw new ShoalError('FOLDER_NOT_FOUND', 'No folder with this secret.');
    return f;
  }

  deviceName(id: string): string {
    if (id === this.identity.id) return '';
    return this.peers.sessions.get(id)?.conn.remoteName ?? id.slice(0, 7);
  }

  /** Connected devices that share at least one folder with us. */
  connectedDevices(): PeerSession[] {
    return [...this.peers.sessions.values()].filter((s) => !s.closed && s.joined.size > 0);
  }

  // ---- pause

  /** Pause or resume all syncing; persisted, so a restart keeps it. */
  setPaused(paused: boolean): EngineStatus {
    if (paused !== this.paused) {
      this.settings.setPaused(paused);
      this.paused = paused;
      this.opts.log.info(paused ? 'Syncing paused' : 'Syncing resumed');
      if (!paused) for (const f of this.folders.values()) f.resume();
    }
    return this.status.check();
  }

  // ---- prefs, limits, speed

  applyLimits(): void {
    this.up.setRate(this.prefs.upload_limit * 1024);
    this.down.setRate(this.prefs.download_limit * 1024);
  }

  /**
   * disk_low_priority: run at a lower priority so syncing yields to the user's programs.
   * On Linux a process without an explicit I/O priority gets one derived from its nice
   * value, so this lowers disk priority too (as Syncthing's setLowPriority does). Niceness
   * can only be raised without privileges, so turning it off takes effect after a restart.
   */
  applyDiskPriority(): void {
    if (!this.prefs.disk_low_priority) return;
    try {
      if (os.getPriority() < LOW_PRIORITY_NICE) os.setPriority(LOW_PRIORITY_NICE);
    } catch (err) {
      this.opts.log.warn(`Could not lower the process priority: ${toErrorData(err).message}`);
    }
  }

  /**
   * Once a second: speeds from the connections' byte counters; a `speed` event while
   * anything moves (and one zero sample when it stops); then the status check.
   */
  private sampleSpeed(): void {
    const wasMoving = this.speedMeter.moving;
    const conns = [...this.peers.sessions.values()].map((s) => [s.id, s.conn] as [string, PeerSession['conn']]);
    const sample = this.speedMeter.sample(conns, performance.now());
    this.speed = this.speedMeter.total;
    if (this.speedMeter.moving || wasMoving) this.emit('speed', sample);
    this.status.check();
  }

  private async cleanupArchives(): Promise<void> {
    for (const f of this.folders.values()) {
      if (f.error) continue;
      try {
        await cleanupArchive(f.root, this.prefs.sync_trash_ttl, this.now());
      } catch (err) {
        if (isProgrammerError(err)) throw err;
        this.opts.log.warn(`Archive cleanup in ${f.root} failed: ${toErrorData(err).message}`);
      }
    }
  }

  // ---- the typed API

  async call<M extends MethodName>(method: M, params: MethodParams<M>): Promise<MethodResult<M>> {
    if (this.closing && method !== 'shutdown') throw new ShoalError('SHUTTING_DOWN', 'Shoal is shutting down.');
    const impl = engineMethods[method] as unknown as ((e: Engine, p: MethodParams<M>) => Promise<MethodResult<M>> | MethodResult<M>) | undefined;
    if (!impl) throw new ShoalError('UNKNOWN_METHOD', `Unknown method: ${String(method)}`);
    return impl(this, params ?? ({} as MethodParams<M>));
  }

  on<E extends EventName>(event: E, fn: (payload: EngineEvents[E]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(fn as (p: never) => void);
    return () => set!.delete(fn as (p: never) => void);
  }

  emit<E extends EventName>(event: E, payload: EngineEvents[E]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const fn of set) {
      try {
        (fn as (p: EngineEvents[E]) => void)(payload);
      } catch (err) {
        if (isProgrammerError(err)) throw err;
        this.opts.log.warn(`Event listener for ${event} failed: ${toErrorData(err).message}`);
      }
    }
  }

  close(): Promise<void> {
    if (!this.closing) {
      this.closing = (async () => {
        for (const t of this.timers) clearInterval(t);
        this.status.close();
        await this.finder.close();
        await this.peers.close();
        for (const f of [...this.folders.values()]) await f.close();
        await this.store.close();
        // Last: closing folders may still report held deletions into History.
        await this.history.close();
        this.opts.log.info('Shoal stopped');
      })().finally(() => this.resolveClosed());
    }
    return this.closing;
  }
}
