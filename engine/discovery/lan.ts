import dgram from 'node:dgram';
import net from 'node:net';
import { ShoalError } from '../errors.js';
import { DiscoveryEmitter, folderSet } from './emitter.js';
import { decodeAnnounce, encodeAnnounces, isValidDeviceId } from './lan-packet.js';
import type { DiscoverySource } from './types.js';

/**
 * LAN discovery, BitTorrent Sync style: every `intervalMs` (and at once on start and when
 * a folder is added) we multicast "device D listens on port P and shares folders F1..Fn"
 * (format in lan-packet.ts), and we report every announce from another device that names
 * a folder we share. Only folder ids travel; they reveal nothing about the secret.
 *
 * Network safety: nothing is sent until the socket is bound and the outgoing interface and
 * TTL are pinned. `interfaceAddress` picks the one interface we send and join on (one
 * instance per interface if the engine wants several); left out, the kernel's multicast
 * route decides. TTL defaults to 1 so announces never cross a router; tests on one host
 * use ttl 0 + loopback, which keeps packets inside the host even if pinning were wrong.
 */
export interface LanDiscoveryOptions {
  /** Our device id (secrets/device.ts); announces carrying it are our own and ignored. */
  deviceId: string;
  /** Our listening TCP port, announced to peers. */
  listenPort: number;
  /** IPv4 multicast group. Default 239.192.0.0 (organization-local scope). */
  group?: string;
  /** UDP port of the group. Default 3838. */
  port?: number;
  /** Local IPv4 address of the interface to send on and join the group on. */
  interfaceAddress?: string;
  /** Address the socket binds to. Default 0.0.0.0 (needed to hear multicast and broadcast). */
  bindAddress?: string;
  /** Also send each announce to this IPv4 broadcast address (e.g. 192.168.1.255). */
  broadcastAddress?: string;
  /** Deliver our multicast to sockets on this host too (several engines on one host). Default false. */
  loopback?: boolean;
  /** Multicast TTL, 0..255. Default 1 (link-local); 0 = this host only. */
  ttl?: number;
  /** Period between announces. Default 5000 ms, minimum 50 ms. */
  intervalMs?: number;
  /** Folders announced per round; above this, rounds rotate through the list. Default 256. */
  maxFolders?: number;
}

export interface LanStats {
  /** Datagrams handed to the kernel / refused by it. */
  sent: number;
  sendErrors: number;
  /** Datagrams received, of which: malformed, our own, or naming no folder we share. */
  received: number;
  garbage: number;
  own: number;
  unshared: number;
  /** 'peer' events emitted. */
  candidates: number;
  socketErrors: number;
}

export const DEFAULT_LAN_GROUP = '239.192.0.0';
export const DEFAULT_LAN_PORT = 3838;
export const DEFAULT_LAN_INTERVAL_MS = 5000;
/** Batches setFolders() calls made while folders load into one announce. */
const CHANGE_DELAY_MS = 100;

type Resolved = Required<Omit<LanDiscoveryOptions, 'interfaceAddress' | 'broadcastAddress'>> &
  Pick<LanDiscoveryOptions, 'interfaceAddress' | 'broadcastAddress'>;

function bad(msg: string): ShoalError {
  return new ShoalError('BAD_CONFIG', `LAN discovery: ${msg}`);
}

function resolveOptions(o: LanDiscoveryOptions): Resolved {
  const r: Resolved = {
    deviceId: o.deviceId,
    listenPort: o.listenPort,
    group: o.group ?? DEFAULT_LAN_GROUP,
    port: o.port ?? DEFAULT_LAN_PORT,
    interfaceAddress: o.interfaceAddress,
    bindAddress: o.bindAddress ?? '0.0.0.0',
    broadcastAddress: o.broadcastAddress,
    loopback: o.loopback ?? false,
    ttl: o.ttl ?? 1,
    intervalMs: o.intervalMs ?? DEFAULT_LAN_INTERVAL_MS,
    maxFolders: o.maxFolders ?? 256,
  };
  if (!isValidDeviceId(r.deviceId)) throw bad('the device id must be 1-64 characters of A-Z, a-z, 0-9, _ or -.');
  const isPort = (p: number) => Number.isInteger(p) && p >= 1 && p <= 65535;
  if (!isPort(r.listenPort)) throw bad(`listening port ${r.listenPort} is not in 1-65535.`);
  if (!isPort(r.port)) throw bad(`UDP port ${r.port} is not in 1-65535.`);
  const first = Number(r.group.split('.')[0]);
  if (!net.isIPv4(r.group) || first < 224 || first > 239) throw bad(`${r.group} is not an IPv4 multicast group.`);
  for (const [name, v] of [['interfaceAddress', r.interfaceAddress], ['bindAddress', r.bindAddress], ['broadcastAddress', r.broadcastAddress]] as const) {
    if (v !== undefined && !net.isIPv4(v)) throw bad(`${name} ${v} is not an IPv4 address.`);
  }
  if (!Number.isInteger(r.ttl) || r.ttl < 0 || r.ttl > 255) throw bad(`ttl ${r.ttl} is not in 0-255.`);
  if (!Number.isFinite(r.intervalMs) || r.intervalMs < 50) throw bad('the announce interval must be at least 50 ms.');
  if (!Number.isInteger(r.maxFolders) || r.maxFolders < 1) throw bad('maxFolders must be a positive integer.');
  return r;
}

export class LanDiscovery extends DiscoveryEmitter implements DiscoverySource {
  private readonly opts: Resolved;
  private socket: dgram.Socket | null = null;
  private running = false;
  private closed = false;
  private startPromise: Promise<void> | null = null;
  private closePromise: Promise<void> | null = null;
  private folders = new Map<string, Buffer>();
  private timer: NodeJS.Timeout | null = null;
  private changeTimer: NodeJS.Timeout | null = null;
  private rotate = 0;
  private lastSendError: string | null = null;
  private readonly counters: LanStats = {
    sent: 0, sendErrors: 0, received: 0, garbage: 0, own: 0, unshared: 0, candidates: 0, socketErrors: 0,
  };

  constructor(options: LanDiscoveryOptions) {
    super();
    this.opts = resolveOptions(options);
  }

  stats(): LanStats {
    return { ...this.counters };
  }

  /** The net listener may learn its port late (port 0); announces use the newest one. */
  setListenPort(port: number): void {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw bad(`listening port ${port} is not in 1-65535.`);
    this.opts.listenPort = port;
  }

  setFolders(folderIds: Buffer[]): void {
    const next = folderSet(folderIds);
    // Only an added folder is news to peers; there is no "bye" announce for removals.
    const added = [...next.keys()].some((k) => !this.folders.has(k));
    this.folders = next;
    if (added) this.scheduleAnnounce();
  }

  start(): Promise<void> {
    if (this.closed) return Promise.reject(new ShoalError('SHUTTING_DOWN', 'LAN discovery was closed.'));
    this.startPromise ??= this.open();
    return this.startPromise;
  }

  private async open(): Promise<void> {
    const o = this.opts;
    const sock = dgram.createSocket({ type: 'udp4', reuseAddr: true });
    this.socket = sock;
    try {
      await new Promise<void>((resolve, reject) => {
        sock.once('error', reject);
        sock.bind({ port: o.port, address: o.bindAddress, exclusive: false }, () => {
          sock.off('error', reject);
          resolve();
        });
      });
      // Scope and interface first: no datagram may leave before these hold.
      sock.setMulticastTTL(o.ttl);
      sock.setMulticastLoopback(o.loopback);
      if (o.interfaceAddress !== undefined) sock.setMulticastInterface(o.interfaceAddress);
      sock.addMembership(o.group, o.interfaceAddress);
      if (o.broadcastAddress !== undefined) sock.setBroadcast(true);
    } catch (err) {
      this.socket = null;
      try { sock.close(); } catch { /* already closed */ }
      const why = err instanceof Error ? err.message : String(err);
      throw new ShoalError('IO_ERROR', `LAN discovery could not use UDP port ${o.port} (group ${o.group}): ${why}`, { cause: err });
    }
    if (this.closed) throw new ShoalError('SHUTTING_DOWN', 'LAN discovery was closed while starting.');
    sock.on('error', (err) => {
      this.counters.socketErrors++;
      this.emit('warning', new ShoalError('IO_ERROR', `LAN discovery socket error: ${err.message}`, { cause: err }));
    });
    sock.on('message', (msg, rinfo) => this.onMessage(msg, rinfo));
    this.running = true;
    this.timer = setInterval(() => this.announce(), o.intervalMs);
    this.timer.unref();
    this.announce();
  }

  close(): Promise<void> {
    this.closed = true;
    this.closePromise ??= (async () => {
      await this.startPromise?.catch(() => undefined);
      this.running = false;
      if (this.timer) clearInterval(this.timer);
      if (this.changeTimer) clearTimeout(this.changeTimer);
      this.timer = this.changeTimer = null;
      const sock = this.socket;
      this.socket = null;
      if (!sock) return;
      try { sock.dropMembership(this.opts.group, this.opts.interfaceAddress); } catch { /* gone with the socket anyway */ }
      await new Promise<void>((resolve) => {
        try { sock.close(() => resolve()); } catch { resolve(); }
      });
    })();
    return this.closePromise;
  }

  private scheduleAnnounce(): void {
    if (!this.running || this.changeTimer) return;
    this.changeTimer = setTimeout(() => {
      this.changeTimer = null;
      this.announce();
    }, CHANGE_DELAY_MS);
    this.changeTimer.unref();
  }

  private announce(): void {
    const sock = this.socket;
    if (!sock || !this.running) return;
    let ids = [...this.folders.values()];
    if (ids.length === 0) return;
    const max = this.opts.maxFolders;
    if (ids.length > max) {
      const start = this.rotate % ids.length;
      ids = [...ids.slice(start), ...ids.slice(0, start)].slice(0, max);
      this.rotate = (start + max) % this.folders.size;
    }
    for (const packet of encodeAnnounces(this.opts.deviceId, this.opts.listenPort, ids)) {
      this.sendTo(sock, packet, this.opts.group);
      if (this.opts.broadcastAddress !== undefined) this.sendTo(sock, packet, this.opts.broadcastAddress);
    }
  }

  private sendTo(sock: dgram.Socket, packet: Buffer, address: string): void {
    const failed = (err: Error) => {
      this.counters.sendErrors++;
      const code = (err as NodeJS.ErrnoException).code ?? err.message;
      // One warning per kind of failure, not one every interval while the network is down.
      if (code === this.lastSendError) return;
      this.lastSendError = code;
      this.emit('warning', new ShoalError('IO_ERROR', `LAN announce to ${address} failed: ${err.message}`, { cause: err }));
    };
    try {
      sock.send(packet, this.opts.port, address, (err) => {
        if (err) return failed(err);
        this.counters.sent++;
        this.lastSendError = null;
      });
    } catch (err) {
      failed(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private onMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (!this.running) return;
    this.counters.received++;
    let a: ReturnType<typeof decodeAnnounce> = null;
    try {
      if (rinfo.family === 'IPv4') a = decodeAnnounce(msg);
    } catch {
      a = null; // decodeAnnounce never throws; belt and braces against hostile input
    }
    if (!a) {
      this.counters.garbage++;
      return;
    }
    if (a.deviceId === this.opts.deviceId) {
      this.counters.own++;
      return;
    }
    const seen = new Set<string>();
    for (const id of a.folderIds) {
      const hex = id.toString('hex');
      if (seen.has(hex)) continue;
      seen.add(hex);
      if (!this.folders.has(hex)) {
        this.counters.unshared++;
        continue;
      }
      this.counters.candidates++;
      this.emit('peer', { host: rinfo.address, port: a.port, folderId: id, source: 'lan', deviceId: a.deviceId });
    }
  }
}
