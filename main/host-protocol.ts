import type { ErrorData } from '../engine/api/error-data.js';

/**
 * The few control messages between Electron main and the engine host (utility process),
 * kept apart from RpcMessage: they use the key `host`, RPC messages use `t`, so the RPC
 * client and server ignore them and the host/supervisor ignore RPC traffic.
 */

/** Host → main: the engine is up (RPC calls can flow on the parent link from now on). */
export interface HostReady {
  host: 'ready';
  pid: number;
  version: string;
  deviceId: string;
  storagePath: string;
  peerPort: number;
}

/** Host → main: the engine could not start; the host exits right after sending this. */
export interface HostFailed {
  host: 'failed';
  error: ErrorData;
}

export type HostToMain = HostReady | HostFailed;

/**
 * Main → host: serve the engine on the MessagePort that comes with this message (Electron:
 * in the message event's `ports`; Node worker_threads: embedded as `port`, since Node
 * transfers ports inside the message value).
 */
export interface HostConnect {
  host: 'connect';
  /** Node worker_threads only: the transferred port (Electron puts it in the event's `ports`). */
  port?: unknown;
}

export type MainToHost = HostConnect;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Shape check of a message from the host; null for anything else (RPC traffic included). */
export function parseHostToMain(raw: unknown): HostToMain | null {
  if (!isObject(raw) || typeof raw.host !== 'string') return null;
  if (raw.host === 'ready') {
    const { pid, version, deviceId, storagePath, peerPort } = raw;
    if (typeof pid !== 'number' || typeof version !== 'string' || typeof deviceId !== 'string') return null;
    if (typeof storagePath !== 'string' || typeof peerPort !== 'number') return null;
    return { host: 'ready', pid, version, deviceId, storagePath, peerPort };
  }
  if (raw.host === 'failed') {
    const e = raw.error;
    if (!isObject(e) || typeof e.code !== 'string' || typeof e.message !== 'string') return null;
    return { host: 'failed', error: { code: e.code as ErrorData['code'], message: e.message.slice(0, 2000) } };
  }
  return null;
}

/** True for a `connect` request from main. */
export function isHostConnect(raw: unknown): raw is HostConnect {
  return isObject(raw) && raw.host === 'connect';
}
