import { ShoalError, isProgrammerError, toErrorData } from '../errors.js';
import type { ChunkRequest, PeerLink, PlaceAnswer } from '../model/peer-link.js';
import type { FileRecord } from '../model/record.js';
import { MAX_RUN_CHUNKS, type Message, type RequestMsg } from '../protocol/messages.js';
import type { PeerConnection } from '../protocol/connection.js';
import { ChunkLists } from '../protocol/chunk-splice.js';
import { membershipProof, verifyMembershipProof } from '../secrets/secret.js';
import type { SyncFolder } from '../model/folder.js';

const REQUEST_TIMEOUT_MS = 60_000;
/**
 * Chunk reads for one peer at once; later requests wait their turn. Each read holds a
 * frame buffer, and reads from the page cache are quick: a few in flight keep the link
 * busy, a whole request window's worth (~120) would only hold memory.
 */
const MAX_SERVING = 64;
/** ...and at most this many bytes of them (a request may ask for a run of chunks). */
const MAX_SERVING_BYTES = 8 * 1024 * 1024;
/** After a PAUSED refusal, how long the peer is left alone before we ask it again. */
const PEER_PAUSED_RETRY_MS = 3000;

interface Pending {
  resolve(data: Buffer): void;
  reject(err: ShoalError): void;
  timer: NodeJS.Timeout;
  /** Where the answer's bytes may go as they arrive (PlaceAnswer); null once asked. */
  place: PlaceAnswer | null;
}

/**
 * One connected device: routes its messages to the folders it shares with us, proves and
 * checks folder membership (a MAC bound to this session, so nothing leaks to a device
 * without the secret), and implements PeerLink for each joined folder.
 */
export class PeerSession {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  /** Folders we sent our proof for. */
  private readonly joinSent = new Set<string>();
  /** Folders whose proof the peer gave us. */
  private readonly joinVerified = new Set<string>();
  readonly joined = new Map<string, FolderLink>();
  closed = false;
  /** Until then (Date.now() ms) the peer is known to have paused syncing. */
  pausedUntil = 0;
  private pausedTimer: NodeJS.Timeout | null = null;
  /** Chunk reads in progress for this peer, and the requests waiting for one. */
  private serving = 0;
  private servingBytes = 0;
  private readonly waiting: RequestMsg[] = [];
  private sendBlocked = false;
  private servingScheduled = false;

  constructor(
    readonly conn: PeerConnection,
    private readonly folders: () => Map<string, SyncFolder>,
    private readonly onJoined: (session: PeerSession, folder: SyncFolder) => void,
  ) {
    conn.setDataPlacer({ place: (id, size) => this.placeAnswer(id, size), any: () => this.placeable > 0 });
  }

  /** Requests in flight with a PlaceAnswer not asked yet. */
  private placeable = 0;

  /** Where the bytes of the answer to request `id` go as they arrive (the asker's PlaceAnswer). */
  private placeAnswer(id: number, size: number): Buffer | null {
    const p = this.pending.get(id);
    const place = p?.place;
    if (!place) return null;
    this.forgetPlace(p); // asked once: a second answer for one id is refused anyway
    return place(size);
  }

  private forgetPlace(p: Pending): void {
    if (!p.place) return;
    p.place = null;
    this.placeable--;
  }

  get id(): string {
    return this.conn.remoteId;
  }

  /** Offer to share a folder on this connection (sends our proof). */
  offer(folder: SyncFolder): void {
    if (this.closed || this.joinSent.has(folder.id)) return;
    this.joinSent.add(folder.id);
    this.conn.send({
      type: 'join',
      folderId: folder.keys.folderId,
      proof: membershipProof(folder.keys, this.conn.handshakeHash, this.conn.initiator),
    });
    this.maybeJoined(folder);
  }

  handle(msg: Message): void {
    try {
      this.route(msg);
    } catch (err) {
      if (isProgrammerError(err)) throw err;
      const data = toErrorData(err);
      this.conn.close(new ShoalError(data.code, data.message));
    }
  }

  /** Reading from this peer is paused while any of these is pending (a folder's full index queue). */
  private readonly readingHeld = new Set<Promise<void>>();

  private pauseUntil(wait: Promise<void>): void {
    if (this.readingHeld.size === 0) this.conn.pauseReading();
    this.readingHeld.add(wait);
    void wait.then(() => {
      this.readingHeld.delete(wait);
      if (this.readingHeld.size === 0) this.conn.resumeReading();
    });
  }

  private route(msg: Message): void {
    switch (msg.type) {
      case 'join':
        return this.onJoin(msg.folderId, msg.proof);
      case 'refuse':
        return this.onRefuse(msg.folderId, msg.message);
      case 'index': {
        const link = this.joined.get(msg.folderId.toString('hex'));
        if (!link) throw new ShoalError('PROTOCOL_ERROR', 'Index for a folder that is not shared on this connection');
        link.received.incomingAll(msg.records, msg.splices);
        const wait = link.folder.onIndex(this.id, msg.records, msg.complete);
        if (wait) this.pauseUntil(wait);
        return;
      }
      case 'request':
        return this.onRequest(msg);
      case 'data': {
        const p = this.take(msg.id);
        if (p) p.resolve(msg.bytes);
        else this.conn.release(msg.bytes); // answer to a request that timed out or was dropped
        return;
      }
      case 'fail': {
        if (msg.code === 'PAUSED') this.peerPaused();
        const p = this.take(msg.id);
        p?.reject(new ShoalError(msg.code, msg.message));
        return;
      }
      default:
        return;
    }
  }

  /**
   * The peer refused a chunk request because it paused syncing. Its links report paused
   * (the puller picks other sources) until the retry time, then the folders try again.
   */
  private peerPaused(): void {
    this.pausedUntil = Date.now() + PEER_PAUSED_RETRY_MS;
    if (!this.pausedTimer) this.retryAfterPause(PEER_PAUSED_RETRY_MS);
  }

  private retryAfterPause(ms: number): void {
    this.pausedTimer = setTimeout(() => {
      this.pausedTimer = null;
      if (this.closed) return;
      // Later refusals pushed the time further out: wait for that.
      const left = this.pausedUntil - Date.now();
      if (left > 0) return this.retryAfterPause(left);
      for (const link of this.joined.values()) link.folder.puller.kick();
    }, ms);
    this.pausedTimer.unref();
  }

  private onJoin(folderId: Buffer, proof: Buffer): void {
    const hex = folderId.toString('hex');
    const folder = this.folders().get(hex);
    // The peer's proof was made with its own role, the opposite of ours.
    if (!folder || !verifyMembershipProof(folder.keys, this.conn.handshakeHash, !this.conn.initiator, proof)) {
      this.conn.send({ type: 'refuse', folderId, code: 'AUTH_FAILED', message: 'This device does not share that folder with you.' });
      return;
    }
    this.joinVerified.add(hex);
    if (!this.joinSent.has(hex)) this.offer(folder);
    else this.maybeJoined(folder);
  }

  private onRefuse(folderId: Buffer, message: string): void {
    const hex = folderId.toString('hex');
    // Usually the other device doesn't share this folder (yet). Forget our offer so that we
    // answer with our proof when it offers the folder later; the dial loop also re-offers.
    this.joinSent.delete(hex);
    const folder = this.folders().get(hex);
    folder?.host.log.info(`${this.conn.remoteName} does not share ${folder.root} with this device: ${message}`);
  }

  private maybeJoined(folder: SyncFolder): void {
    if (!this.joinSent.has(folder.id) || !this.joinVerified.has(folder.id) || this.joined.has(folder.id)) return;
    const link = new FolderLink(this, folder);
    this.joined.set(folder.id, link);
    this.onJoined(this, folder);
  }

  private onRequest(msg: RequestMsg): void {
    if (!this.mayServe()) {
      this.waiting.push(msg);
      return;
    }
    const link = this.joined.get(msg.folderId.toString('hex'));
    if (!link) {
      this.conn.send({ type: 'fail', id: msg.id, code: 'AUTH_FAILED', message: 'Folder not shared on this connection' });
      return;
    }
    // The chunk is read straight into its outgoing frame, which is sealed where it lies.
    const out = this.conn.prepareData(msg.id, msg.size);
    const req: ChunkRequest = { path: msg.path, offset: msg.offset, size: msg.size, count: msg.count ?? 1, hash: msg.hash };
    this.serving++;
    this.servingBytes += msg.size;
    link.folder
      .serve(this.id, req, out.payload)
      .then(
        () => {
          if (this.closed) out.discard();
          else if (!out.send()) this.holdServing();
        },
        (err: unknown) => {
          out.discard();
          if (isProgrammerError(err)) throw err;
          const data = toErrorData(err);
          if (!this.closed) this.conn.send({ type: 'fail', id: msg.id, code: data.code, message: data.message });
        },
      )
      .finally(() => {
        this.serving--;
        this.servingBytes -= msg.size;
        this.scheduleServing();
      });
  }

  /**
   * Serve waiting requests on the next turn of the event loop, not in this chain of
   * promise callbacks: a page-cache read completes at once, so the whole queue would be
   * served in one go, and the sent frames' buffers are only handed back (write callbacks,
   * process.nextTick) once that chain ends - a request window's worth of frames at once.
   */
  private scheduleServing(): void {
    if (this.servingScheduled || this.waiting.length === 0) return;
    this.servingScheduled = true;
    setImmediate(() => {
      this.servingScheduled = false;
      this.serveWaiting();
    });
  }

  /**
   * The connection's send buffer is full (the peer reads slower than we read the disk):
   * serve nothing more until it drains, so answers wait as small requests, not as frames.
   */
  private holdServing(): void {
    if (this.sendBlocked) return;
    this.sendBlocked = true;
    this.conn.drain().then(
      () => {
        this.sendBlocked = false;
        this.serveWaiting();
      },
      () => undefined, // closed: closedWith() clears the queue
    );
  }

  /** Another chunk read may start now (reads in progress and send buffer within bounds). */
  private mayServe(): boolean {
    return !this.sendBlocked && this.serving < MAX_SERVING && this.servingBytes < MAX_SERVING_BYTES;
  }

  private serveWaiting(): void {
    while (!this.closed && this.mayServe() && this.waiting.length > 0) {
      this.onRequest(this.waiting.shift()!);
    }
  }

  request(folder: SyncFolder, req: ChunkRequest, place?: PlaceAnswer): Promise<Buffer> {
    if (this.closed) return Promise.reject(new ShoalError('PEER_GONE', 'Peer disconnected'));
    const id = this.nextId++;
    if (this.nextId > 0x7fffffff) this.nextId = 1;
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.take(id);
        reject(new ShoalError('TIMEOUT', 'The peer did not answer a chunk request in time'));
      }, REQUEST_TIMEOUT_MS);
      timer.unref();
      this.pending.set(id, { resolve, reject, timer, place: place ?? null });
      if (place) this.placeable++;
      this.conn.send({ type: 'request', folderId: folder.keys.folderId, id, ...req });
    });
  }

  private take(id: number): Pending | undefined {
    const p = this.pending.get(id);
    if (!p) return undefined;
    this.pending.delete(id);
    clearTimeout(p.timer);
    this.forgetPlace(p);
    return p;
  }

  /** Connection ended: fail what is in flight and detach from every folder. */
  closedWith(reason: ShoalError): void {
    if (this.closed) return;
    this.closed = true;
    this.waiting.length = 0;
    if (this.pausedTimer) clearTimeout(this.pausedTimer);
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.forgetPlace(p);
      p.reject(new ShoalError('PEER_GONE', `Peer disconnected: ${reason.message}`));
      this.pending.delete(id);
    }
    for (const link of this.joined.values()) link.folder.removePeer(this.id, link);
    this.joined.clear();
  }
}

/** The PeerLink one folder sees for one connected device. */
export class FolderLink implements PeerLink {
  /** Big files' chunk lists as last sent and received on this link (chunk-splice.ts). */
  private readonly sent = new ChunkLists();
  readonly received = new ChunkLists();

  constructor(private readonly session: PeerSession, readonly folder: SyncFolder) {}

  get id(): string {
    return this.session.id;
  }
  get name(): string {
    return this.session.conn.remoteName;
  }
  get address(): string {
    return this.session.conn.remoteAddress;
  }
  get lan(): boolean {
    return this.session.conn.isLan;
  }
  get maxRunChunks(): number {
    return this.session.conn.chunkRuns ? MAX_RUN_CHUNKS : 1;
  }
  get bytesIn(): number {
    return this.session.conn.bytesIn;
  }
  get bytesOut(): number {
    return this.session.conn.bytesOut;
  }
  get paused(): boolean {
    return Date.now() < this.session.pausedUntil;
  }

  sendIndex(records: FileRecord[], complete: boolean): void {
    if (this.session.closed) return;
    const splices = records.map((r) => this.sent.outgoing(r));
    this.session.conn.send({ type: 'index', folderId: this.folder.keys.folderId, records, complete, splices });
  }

  request(req: ChunkRequest, place?: PlaceAnswer): Promise<Buffer> {
    return this.session.request(this.folder, req, place);
  }

  release(bytes: Buffer): void {
    this.session.conn.release(bytes);
  }
}
