import type { Logger } from '../daemon/log.js';
import { parseHostPort } from '../discovery/hosts.js';
import { LanDiscovery, type LanDiscoveryOptions } from '../discovery/lan.js';
import type { PeerCandidate } from '../discovery/types.js';
import { isProgrammerError, toErrorData } from '../errors.js';
import type { SyncFolder } from '../model/folder.js';
import type { PeerManager } from './peer-manager.js';

export interface PeerFinderOptions {
  deviceId: string;
  peers: PeerManager;
  folders: () => Iterable<SyncFolder>;
  /** LAN discovery socket options, or false to turn LAN discovery off. */
  lan: Partial<LanDiscoveryOptions> | false | undefined;
  log: Logger;
}

/**
 * Finds peers for the engine's folders and dials them through the PeerManager: LAN
 * discovery (while some folder has search_lan on) and each folder's predefined hosts
 * (use_hosts, known_hosts). Tracker, DHT and relay sources will join here.
 */
export class PeerFinder {
  private lan: LanDiscovery | null = null;
  private lanStarting = false;
  private closed = false;

  constructor(private readonly o: PeerFinderOptions) {}

  /**
   * LAN discovery runs only while some folder has search_lan on: no multicast socket, no
   * group membership otherwise.
   */
  async refreshLan(): Promise<void> {
    if (this.o.lan === false || this.closed) return;
    const ids = this.lanFolderIds();
    if (this.lan) {
      this.lan.setFolders(ids);
      return;
    }
    if (ids.length === 0 || this.lanStarting) return;
    this.lanStarting = true;
    const lan = new LanDiscovery({ deviceId: this.o.deviceId, listenPort: this.o.peers.port, ...this.o.lan });
    lan.on('peer', (c) => this.onCandidate(c));
    lan.on('warning', (err) => this.o.log.warn(`LAN discovery: ${err.message}`));
    lan.setFolders(ids);
    try {
      await lan.start();
      this.lan = lan;
      lan.setFolders(this.lanFolderIds());
    } catch (err) {
      if (isProgrammerError(err)) throw err;
      this.o.log.warn(`LAN discovery is off: ${toErrorData(err).message}`);
    } finally {
      this.lanStarting = false;
    }
  }

  /** Dial a folder's predefined hosts (when it uses them). */
  dialFolderHosts(folder: SyncFolder): void {
    if (!folder.prefs.use_hosts || folder.error) return;
    for (const h of folder.knownHosts) {
      try {
        const { host, port } = parseHostPort(h, 'BAD_REQUEST');
        this.o.peers.dial(host, port, [folder]);
      } catch (err) {
        if (isProgrammerError(err)) throw err;
        this.o.log.warn(`Bad predefined host ${h}: ${toErrorData(err).message}`);
      }
    }
  }

  /** Dial every folder's predefined hosts (the engine does so every few seconds). */
  dialKnownHosts(): void {
    for (const f of this.o.folders()) this.dialFolderHosts(f);
  }

  /** Stop LAN discovery; refreshLan() does nothing from now on. */
  async close(): Promise<void> {
    this.closed = true;
    await this.lan?.close();
  }

  private lanFolderIds(): Buffer[] {
    return [...this.o.folders()].filter((f) => f.prefs.search_lan && !f.error).map((f) => f.keys.folderId);
  }

  private onCandidate(c: PeerCandidate): void {
    try {
      const folders = [...this.o.folders()].filter((f) => c.folderId && f.keys.folderId.equals(c.folderId) && f.prefs.search_lan && !f.error);
      if (folders.length > 0) this.o.peers.dial(c.host, c.port, folders);
    } catch (err) {
      if (isProgrammerError(err)) throw err;
    }
  }
}
