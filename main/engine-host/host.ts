import fs from 'node:fs';
import path from 'node:path';
import { serveEngine, type ServedChannel } from '../../engine/api/rpc/server.js';
import { ChannelListeners, type Channel, type RpcMessage } from '../../engine/api/rpc/channel.js';
import { defaultConfig, type DaemonConfig } from '../../engine/daemon/config.js';
import { FileLogger, type Logger } from '../../engine/daemon/log.js';
import { shoalVersion } from '../../engine/daemon/version.js';
import { Engine } from '../../engine/engine.js';
import { toErrorData } from '../../engine/errors.js';
import { isHostConnect, type HostToMain } from '../host-protocol.js';
import { emitterPortChannel, unwrapMessageEvent, unwrapNone, type EmitterPort } from '../port-channel.js';

/**
 * The engine host: what runs inside Electron's utility process (plain Node, no electron
 * import). It creates the Engine, serves the typed contract over the link to its parent
 * (main's own client: tray, notifications, `shutdown` on quit) and over every MessagePort
 * main hands it (one per window; those may not call `shutdown`), and says `ready` once the
 * engine is up. The link is a small facade so the same code runs under Electron
 * (`process.parentPort`), a Node child process (`process.send`) and a worker thread.
 */

export interface ParentLink {
  post(msg: HostToMain | RpcMessage): void;
  /** Every message from the parent, with the ports that came along with it. */
  onMessage(fn: (data: unknown, ports: readonly unknown[]) => void): () => void;
  /** The parent went away (Node IPC disconnect); Electron kills the utility process instead. */
  onClose(fn: () => void): () => void;
  /** A port handed over by this link, as a Channel (null when this link cannot carry ports). */
  adoptPort(port: unknown): Channel | null;
}

export interface HostOptions {
  /** Absolute path of the engine's storage (device key, settings, index, sync.log). */
  storagePath: string;
  /** Peer listener address; default as the daemon (bind_address or all interfaces). Tests: 127.0.0.1. */
  listenHost?: string;
  /** LAN discovery (default on, as in the daemon). */
  lan?: boolean;
  /** Config overrides on top of defaultConfig() (tests). */
  config?: Partial<DaemonConfig>;
  /** Echo warnings and errors of sync.log here (default stderr). */
  logEcho?: NodeJS.WritableStream | null;
}

export interface RunningHost {
  engine: Engine;
  log: Logger;
  /** Resolves when the engine has stopped (a `shutdown` call, stop(), or the parent gone). */
  closed: Promise<void>;
  stop(): Promise<void>;
}

/** Start the engine and serve it; null when it could not start (`failed` was sent). */
export async function startEngineHost(link: ParentLink, opts: HostOptions): Promise<RunningHost | null> {
  const base = defaultConfig();
  const config: DaemonConfig = { ...base, ...opts.config, storage_path: opts.storagePath };
  let log: FileLogger;
  try {
    fs.mkdirSync(config.storage_path, { recursive: true, mode: 0o700 });
    log = new FileLogger({
      file: path.join(config.storage_path, 'sync.log'),
      maxBytes: config.log_size * 1024 * 1024,
      level: logLevel(process.env.SHOAL_LOG_LEVEL),
      echo: opts.logEcho === undefined ? process.stderr : opts.logEcho,
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    safePost(link, { host: 'failed', error: { code: 'IO_ERROR', message: `Cannot use the storage folder ${config.storage_path} (${code}).` } });
    return null;
  }
  log.info('Shoal engine host starting', { version: shoalVersion(), pid: process.pid, storage: config.storage_path });

  let engine: Engine;
  try {
    engine = await Engine.create({
      config,
      log,
      ...(opts.listenHost ? { listenHost: opts.listenHost } : {}),
      ...(opts.lan === false ? { lan: false as const } : {}),
    });
  } catch (err) {
    const error = toErrorData(err);
    log.error('Shoal engine failed to start', { error: err });
    safePost(link, { host: 'failed', error });
    log.close();
    return null;
  }

  const onInternalError = (err: unknown, method: string) => log.error(`RPC ${method} failed`, { error: err });
  const served = new Set<ServedChannel>();
  const channels = new Set<Channel>();

  // main's own connection: the parent link itself (control messages filtered out).
  const parent = parentChannel(link);
  served.add(serveEngine(engine, parent, { onInternalError }));

  const offMessage = link.onMessage((data, ports) => {
    if (!isHostConnect(data)) return;
    for (const port of ports) {
      const ch = link.adoptPort(port);
      if (!ch) continue;
      channels.add(ch);
      const s = serveEngine(engine, ch, { deny: ['shutdown'], onInternalError });
      served.add(s);
      ch.onClose(() => {
        channels.delete(ch);
        served.delete(s);
      });
    }
  });
  const offClose = link.onClose(() => {
    log.info('Parent process gone: stopping the engine');
    void engine.close();
  });

  const closed = engine.closed.then(() => {
    offMessage();
    offClose();
    for (const s of served) s.stop();
    for (const ch of channels) ch.close();
    log.info('Shoal engine host stopped');
    log.close();
  });

  safePost(link, {
    host: 'ready',
    pid: process.pid,
    version: shoalVersion(),
    deviceId: engine.identity.id,
    storagePath: config.storage_path,
    peerPort: engine.peers.port,
  });
  log.info('Shoal engine host ready', { peerPort: engine.peers.port });

  return {
    engine,
    log,
    closed,
    async stop() {
      await engine.close();
      await closed;
    },
  };
}

function safePost(link: ParentLink, msg: HostToMain): void {
  try {
    link.post(msg);
  } catch {
    // The parent is gone; nothing left to tell.
  }
}

/** The RPC Channel over the parent link: RPC messages only (`host` control messages are not RPC). */
export function parentChannel(link: ParentLink): Channel {
  const listeners = new ChannelListeners();
  const offMessage = link.onMessage((data) => {
    if (!isHostConnect(data)) listeners.deliver(data);
  });
  const offClose = link.onClose(() => end());
  function end(): void {
    if (listeners.closed) return;
    offMessage();
    offClose();
    listeners.end();
  }
  return {
    send(msg) {
      if (!listeners.closed) link.post(msg);
    },
    onMessage: (fn) => listeners.onMessage(fn),
    onClose: (fn) => listeners.onClose(fn),
    close: end,
  };
}

// ---- links

/** Electron's `process.parentPort` in a utility process (structural: no electron import). */
export interface ElectronParentPort {
  postMessage(message: unknown): void;
  on(event: 'message', fn: (ev: { data: unknown; ports: unknown[] }) => void): unknown;
  off(event: 'message', fn: (ev: { data: unknown; ports: unknown[] }) => void): unknown;
}

export function electronParentLink(parentPort: ElectronParentPort): ParentLink {
  return {
    post: (msg) => parentPort.postMessage(msg),
    onMessage(fn) {
      const h = (ev: { data: unknown; ports: unknown[] }) => fn(ev?.data, Array.isArray(ev?.ports) ? ev.ports : []);
      parentPort.on('message', h);
      return () => void parentPort.off('message', h);
    },
    onClose: () => () => {},
    // Ports arriving in a utility process are MessagePortMain: events are { data, ports }.
    adoptPort: (port) => (isEmitterPort(port) ? emitterPortChannel(port, unwrapMessageEvent) : null),
  };
}

/** A Node child process forked with an IPC channel (`process.send`); cannot carry ports. */
export interface NodeIpcProcess {
  send?(message: unknown): boolean;
  on(event: 'message', fn: (m: unknown) => void): unknown;
  on(event: 'disconnect', fn: () => void): unknown;
  off(event: 'message', fn: (m: unknown) => void): unknown;
  off(event: 'disconnect', fn: () => void): unknown;
}

export function nodeIpcLink(proc: NodeIpcProcess): ParentLink {
  return {
    post(msg) {
      proc.send?.(msg);
    },
    onMessage(fn) {
      const h = (m: unknown) => fn(m, []);
      proc.on('message', h);
      return () => void proc.off('message', h);
    },
    onClose(fn) {
      proc.on('disconnect', fn);
      return () => void proc.off('disconnect', fn);
    },
    adoptPort: () => null,
  };
}

/**
 * A worker_threads MessagePort as the parent link (a Worker's `parentPort`, or one end of
 * a MessageChannel in tests). Node transfers ports inside the message value, so `connect`
 * carries its port as `port`.
 */
export function workerLink(port: EmitterPort): ParentLink {
  return {
    post: (msg) => port.postMessage(msg),
    onMessage(fn) {
      const h = (m: unknown) => {
        const carried = isHostConnect(m) && m.port !== undefined ? [m.port] : [];
        fn(m, carried);
      };
      port.on('message', h);
      return () => void port.off('message', h);
    },
    onClose(fn) {
      port.on('close', fn);
      return () => void port.off('close', fn);
    },
    adoptPort: (p) => (isEmitterPort(p) ? emitterPortChannel(p, unwrapNone) : null),
  };
}

function isEmitterPort(p: unknown): p is EmitterPort {
  const o = p as Partial<EmitterPort> | null;
  return !!o && typeof o.postMessage === 'function' && typeof o.on === 'function' && typeof o.off === 'function';
}

// ---- arguments

/**
 * `engine-host.js --storage DIR [--listen-host 127.0.0.1] [--no-lan]`; SHOAL_STORAGE works
 * instead of --storage. Throws a one-line message on bad arguments.
 */
export function parseHostArgs(argv: readonly string[], env: NodeJS.ProcessEnv = {}): HostOptions {
  let storage = env.SHOAL_STORAGE;
  let listenHost: string | undefined;
  let lan = true;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new Error(`engine-host: ${flag} needs a value`);
      return v;
    };
    if (flag === '--storage') storage = value();
    else if (flag === '--listen-host') listenHost = value();
    else if (flag === '--no-lan') lan = false;
    else throw new Error(`engine-host: unknown argument ${JSON.stringify(a).slice(0, 80)}`);
  }
  if (!storage) throw new Error('engine-host: --storage DIR (or SHOAL_STORAGE) is required');
  if (!path.isAbsolute(storage)) throw new Error(`engine-host: --storage must be an absolute path (got ${storage})`);
  return { storagePath: storage, ...(listenHost ? { listenHost } : {}), lan };
}

function logLevel(v: string | undefined): 'debug' | 'info' | 'warn' | 'error' {
  return v === 'debug' || v === 'info' || v === 'warn' || v === 'error' ? v : 'info';
}
