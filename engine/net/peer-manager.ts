import net from 'node:net';
import { ShoalError, isProgrammerError, toErrorData } from '../errors.js';
import type { EngineEvents, EventName } from '../api/contract.js';
import type { SyncFolder } from '../model/folder.js';
import type { LoggerLike } from '../model/host.js';
import { PeerConnection, type ConnectionOptions } from '../protocol/connection.js';
import { adoptAccepted } from '../protocol/socket-reads.js';
import type { RateLimiter } from '../protocol/types.js';
import type { DeviceIdentity } from '../secrets/device.js';
import { PeerSession } from './peer-session.js';

export interface PeerManagerOptions {
  identity: DeviceIdentity;
  deviceName: () => string;
  listenHost: string;
  listenPort: number;
  now: () => number;
  /** Allowed clock difference, seconds (sync_max_time_diff). */
  maxTimeDiffS: () => number;
  /** external_port: the port announced to peers (0 = the listening port). */
  externalPort: () => number;
  plainLan: () => boolean;
  /** false: connections neither ask for nor take runs of chunks (PeerOptions.chunkRuns). */
  chunkRuns?: boolean;
  limiter: (lan: boolean) => RateLimiter | undefined;
  bufferSizes: () => { sendBufSize: number; recvBufSize: number };
  folders: () => Map<string, SyncFolder>;
  emit<E extends EventName>(event: E, payload: EngineEvents[E]): void;
  log: LoggerLike;
}

const DIAL_RETRY_MS = 5000;

/**
 * Owns every peer connection: the listening socket, dialing candidates (known hosts, LAN
 * discovery; tracker/DHT/relay later), one session per device (duplicate connections from
 * simultaneous dials are resolved the same way on both sides), and the clock check.
 */
export class PeerManager {
  private server: net.Server | null = null;
  readonly sessions = new Map<string, PeerSession>();
  /** Dials under way, by "host:port", with the folders to offer once connected. */
  private readonly dialing = new Map<string, Set<SyncFolder>>();
  private readonly lastAttempt = new Map<string, number>();
  /** The session reached by dialing "host:port". */
  private readonly byAddress = new Map<string, PeerSession>();
  /** Devices we told listeners are connected (peerConnected sent, peerDisconnected not yet). */
  private readonly announced = new Set<string>();
  private closed = false;
  port = 0;

  constructor(private readonly o: PeerManagerOptions) {}

  async listen(): Promise<number> {
    // Paused on connect: adoptAccepted() gives the socket reads into a reused buffer first.
    const server = net.createServer({ pauseOnConnect: true }, (socket) => void this.accept(adoptAccepted(socket)));
    server.on('error', (err) => this.o.log.error(`Listener error: ${err.message}`));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.o.listenPort, this.o.listenHost, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.port = (server.address() as net.AddressInfo).port;
    return this.port;
  }

  private connOptions(): ConnectionOptions {
    return {
      identity: this.o.identity,
      deviceName: this.o.deviceName(),
      // Peers behind our NAT port forward reach us on external_port (BitTorrent Sync semantics).
      listenPort: this.o.externalPort() || this.port,
      plainLan: this.o.plainLan(),
      ...(this.o.chunkRuns === undefined ? {} : { chunkRuns: this.o.chunkRuns }),
      nowMs: this.o.now,
      ...this.o.bufferSizes(),
    };
  }

  private async accept(socket: net.Socket): Promise<void> {
    if (this.closed) return void socket.destroy();
    try {
      const conn = await PeerConnection.accept(socket, this.connOptions());
      const session = this.adopt(conn, []);
      // Known hosts are dialed every few seconds: a device that already reached us at its
      // announced port must not get a second connection from that dial.
      if (session && conn.remoteHello.listenPort > 0) {
        this.byAddress.set(`${conn.remoteAddress}:${conn.remoteHello.listenPort}`, session);
      }
    } catch (err) {
      if (isProgrammerError(err)) throw err;
      this.o.log.debug(`Incoming connection from ${socket.remoteAddress} failed: ${toErrorData(err).message}`);
    }
  }

  /**
   * Try to reach host:port for these folders (no-op when already connected or a recent
   * attempt is under way). Folder ids travel only to the host we chose to dial.
   */
  dial(host: string, port: number, folders: SyncFolder[]): void {
    if (this.closed) return;
    const key = `${host}:${port}`;
    const existing = this.byAddress.get(key);
    if (existing && !existing.closed) {
      for (const f of folders) existing.offer(f);
      return;
    }
    const inflight = this.dialing.get(key);
    if (inflight) {
      // A dial is under way: these folders are offered when it completes.
      for (const f of folders) inflight.add(f);
      return;
    }
    const last = this.lastAttempt.get(key);
    if (last !== undefined && Date.now() - last < DIAL_RETRY_MS) return;
    this.lastAttempt.set(key, Date.now());
    const wanted = new Set(folders);
    this.dialing.set(key, wanted);
    PeerConnection.connect({ host, port, ...this.connOptions() }).then(
      (conn) => {
        this.dialing.delete(key);
        const session = this.adopt(conn, [...wanted]);
        if (session) this.byAddress.set(key, session);
      },
      (err: unknown) => {
        this.dialing.delete(key);
        if (isProgrammerError(err)) throw err;
        this.o.log.debug(`Could not connect to ${key}: ${toErrorData(err).message}`);
      },
    );
  }

  /** Take a new connection into use; returns the session that now serves that device. */
  private adopt(conn: PeerConnection, folders: SyncFolder[]): PeerSession | null {
    if (this.closed) {
      conn.close(new ShoalError('SHUTTING_DOWN', 'Shutting down'));
      return null;
    }
    if (conn.remoteId === this.o.identity.id) {
      conn.close(new ShoalError('PROTOCOL_ERROR', 'Connected to myself'));
      return null;
    }
    if (!this.clockOk(conn)) return null;
    const prev = this.sessions.get(conn.remoteId);
    let carried: SyncFolder[] = [];
    if (prev && !prev.closed) {
      // Both sides dialed at once: keep the connection opened by the smaller device id.
      const keepNew = this.preferred(conn) && !this.preferred(prev.conn);
      if (!keepNew) {
        for (const f of folders) prev.offer(f);
        conn.close(new ShoalError('PROTOCOL_ERROR', 'Duplicate connection'));
        return prev;
      }
      carried = [...prev.joined.values()].map((l) => l.folder);
      prev.conn.close(new ShoalError('PROTOCOL_ERROR', 'Duplicate connection'));
    }
    const session = new PeerSession(conn, this.o.folders, (s, folder) => this.joined(s, folder));
    this.sessions.set(conn.remoteId, session);
    conn.onMessage((msg) => {
      if (msg.type === 'error') {
        this.o.emit('error', { code: msg.code, message: `${conn.remoteName}: ${msg.message}`, peerId: conn.remoteId });
        return;
      }
      session.handle(msg);
    });
    void conn.closed.then((reason) => {
      session.closedWith(reason);
      for (const [k, v] of this.byAddress) if (v === session) this.byAddress.delete(k);
      // A session replaced by a newer connection to the same device is not a disconnect.
      if (this.sessions.get(conn.remoteId) !== session) return;
      this.sessions.delete(conn.remoteId);
      if (this.announced.delete(conn.remoteId)) {
        this.o.emit('peerDisconnected', { peerId: conn.remoteId, name: conn.remoteName, reason: reason.message });
      }
    });
    for (const f of new Set([...folders, ...carried])) session.offer(f);
    return session;
  }

  /** The connection both sides agree to keep when two exist: the one the smaller id dialed. */
  private preferred(conn: PeerConnection): boolean {
    const initiatorId = conn.initiator ? this.o.identity.id : conn.remoteId;
    const other = conn.initiator ? conn.remoteId : this.o.identity.id;
    return initiatorId < other;
  }

  private clockOk(conn: PeerConnection): boolean {
    const diffS = Math.abs(conn.remoteHello.nowMs - this.o.now()) / 1000;
    const limit = this.o.maxTimeDiffS();
    if (diffS <= limit) return true;
    const message =
      `The clocks of this device and ${conn.remoteName} differ by ${Math.round(diffS)} s ` +
      `(more than sync_max_time_diff = ${limit} s): not syncing with it. Set both clocks right.`;
    this.o.log.warn(message, { peerId: conn.remoteId });
    this.o.emit('error', { code: 'CLOCK_SKEW', message, peerId: conn.remoteId });
    conn.send({ type: 'error', code: 'CLOCK_SKEW', message });
    setTimeout(() => conn.close(new ShoalError('CLOCK_SKEW', message)), 200).unref();
    return false;
  }

  private joined(session: PeerSession, folder: SyncFolder): void {
    const conn = session.conn;
    conn.setLimiter(this.o.limiter(conn.isLan));
    const link = session.joined.get(folder.id)!;
    folder.addPeer(link);
    this.o.log.info(`Syncing folder ${folder.root} with ${conn.remoteName} (${conn.remoteAddress})`, { peerId: conn.remoteId });
    // One peerConnected per device, however many folders and reconnects-by-duplicate.
    if (this.announced.has(conn.remoteId)) return;
    this.announced.add(conn.remoteId);
    this.o.emit('peerConnected', {
      peerId: conn.remoteId,
      name: conn.remoteName,
      address: conn.remoteAddress,
      lan: conn.isLan,
      folders: [...session.joined.keys()],
    });
  }

  /** A folder was removed: stop sharing it with everyone (sessions stay for others). */
  folderRemoved(folderId: string): void {
    for (const s of this.sessions.values()) {
      const link = s.joined.get(folderId);
      if (link) {
        s.joined.delete(folderId);
        link.folder.removePeer(s.id, link);
      }
      if (s.joined.size === 0) s.conn.close(new ShoalError('SHUTTING_DOWN', 'No shared folders left'));
    }
  }

  /** Re-apply rate limits after a preference change. */
  refreshLimits(): void {
    for (const s of this.sessions.values()) s.conn.setLimiter(this.o.limiter(s.conn.isLan));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.sessions.values()) s.conn.close(new ShoalError('SHUTTING_DOWN', 'Shutting down'));
    await Promise.all([...this.sessions.values()].map((s) => s.conn.closed));
    this.sessions.clear();
    if (this.server) await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }
}
