import type { CallOutcome, NativeActions, ShoalBridge } from '../engine/api/bridge.js';
import { EVENT_NAMES, METHOD_NAMES, type EngineEvents, type EventName, type MethodName } from '../engine/api/contract.js';
import type { ErrorData } from '../engine/api/error-data.js';
import { createEngineClient, EngineCallError, type EngineClient } from '../engine/api/rpc/client.js';
import { NATIVE_CHANNELS, type NativeChannel, type NativeReply } from './ipc-channels.js';
import { domPortChannel, type DomPort } from './port-channel.js';

/**
 * `window.shoal` for the desktop window, built from what the sandboxed preload can reach
 * (ipcRenderer, a MessagePort to the engine). Pure: main/preload.ts wires in Electron, tests
 * wire in fakes and real worker_threads ports. Calls resolve to `{ ok, value }` /
 * `{ ok: false, error }` data; the engine connection can come and go (supervisor restarts),
 * so event listeners live here and survive reconnects.
 */

export interface PreloadEnv {
  platform: string;
  /** ipcRenderer.invoke on one of NATIVE_CHANNELS. */
  invoke(channel: NativeChannel, ...args: unknown[]): Promise<unknown>;
  /** Register for new engine ports (each replaces the previous one). */
  onEnginePort(fn: (port: DomPort) => void): void;
  /** Register for "the engine went away" pushes from main. */
  onEngineDown(fn: () => void): void;
  /** Calls made while disconnected wait this long for a connection (default 15 s). */
  connectWaitMs?: number;
  setTimeout?: (fn: () => void, ms: number) => unknown;
  clearTimeout?: (h: unknown) => void;
}

const KNOWN_METHODS: ReadonlySet<string> = new Set(METHOD_NAMES);
const KNOWN_EVENTS: ReadonlySet<string> = new Set(EVENT_NAMES);
const MAX_LISTENERS = 1000;

export function createShoalBridge(env: PreloadEnv): ShoalBridge {
  const setT = env.setTimeout ?? ((fn, ms) => setTimeout(fn, ms));
  const clearT = env.clearTimeout ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>));
  const waitMs = env.connectWaitMs ?? 15_000;
  let client: EngineClient | null = null;
  let waiters: ((c: EngineClient | null) => void)[] = [];
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const connectionFns = new Set<(connected: boolean) => void>();
  let listenerCount = 0;

  const publish = (up: boolean) => {
    for (const fn of [...connectionFns]) safe(() => fn(up));
  };

  env.onEnginePort((port) => {
    const old = client;
    const c = createEngineClient(domPortChannel(port));
    for (const name of EVENT_NAMES) {
      c.on(name, (payload) => {
        for (const fn of [...(listeners.get(name) ?? [])]) safe(() => fn(payload));
      });
    }
    c.onClose(() => {
      if (client !== c) return; // a replaced port closing is not a disconnect
      client = null;
      publish(false);
    });
    client = c;
    old?.close();
    for (const w of waiters.splice(0)) w(c);
    // A port replacing a live one (window reload) is one continuous connection.
    if (!old) publish(true);
  });
  env.onEngineDown(() => {
    const old = client;
    if (!old) return;
    client = null;
    old.close();
    publish(false);
  });

  const connected = (): Promise<EngineClient | null> => {
    if (client) return Promise.resolve(client);
    return new Promise((resolve) => {
      const t = setT(() => {
        waiters = waiters.filter((w) => w !== done);
        resolve(null);
      }, waitMs);
      const done = (c: EngineClient | null) => {
        clearT(t);
        resolve(c);
      };
      waiters.push(done);
    });
  };

  const native: NativeActions = {
    async openPath(p: string) {
      if (typeof p !== 'string') return { ok: false, error: { code: 'BAD_PATH', message: 'The path must be a string.' } };
      const r = await invokeNative<null>(env, NATIVE_CHANNELS.openPath, p);
      return r.ok ? { ok: true } : { ok: false, error: r.error as ErrorData };
    },
    async pickFolder() {
      const r = await invokeNative<string | null>(env, NATIVE_CHANNELS.pickFolder);
      if (!r.ok) throw new Error(r.error.message);
      return typeof r.value === 'string' ? r.value : null;
    },
    async copyText(text: string) {
      const r = await invokeNative<null>(env, NATIVE_CHANNELS.copyText, text);
      if (!r.ok) throw new Error(r.error.message);
    },
  };

  const bridge: ShoalBridge = {
    shell: 'desktop',
    platform: env.platform === 'darwin' || env.platform === 'win32' || env.platform === 'linux' ? env.platform : 'other',
    async call<M extends MethodName>(method: M, params: Parameters<ShoalBridge['call']>[1]): Promise<CallOutcome<M>> {
      if (typeof method !== 'string' || !KNOWN_METHODS.has(method)) {
        return { ok: false, error: { code: 'UNKNOWN_METHOD', message: `Unknown method "${String(method).slice(0, 64)}".` } };
      }
      const c = await connected();
      if (!c) return { ok: false, error: { code: 'TIMEOUT', message: 'Not connected to the Shoal engine (it is starting or restarting).' } };
      try {
        const value = await c.call(method, params as never);
        return { ok: true, value } as CallOutcome<M>;
      } catch (err) {
        if (err instanceof EngineCallError) return { ok: false, error: { code: err.code, message: err.message } };
        return { ok: false, error: { code: 'INTERNAL', message: 'The call could not be made.' } };
      }
    },
    on<E extends EventName>(event: E, fn: (payload: EngineEvents[E]) => void): () => void {
      if (typeof event !== 'string' || !KNOWN_EVENTS.has(event)) throw new TypeError(`Unknown event "${String(event).slice(0, 64)}".`);
      if (typeof fn !== 'function') throw new TypeError('on(event, fn): fn must be a function.');
      if (listenerCount >= MAX_LISTENERS) throw new RangeError('Too many event listeners.');
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      const f = fn as (payload: unknown) => void;
      if (!set.has(f)) listenerCount++;
      set.add(f);
      let on = true;
      return () => {
        if (!on) return;
        on = false;
        if (set.delete(f)) listenerCount--;
      };
    },
    onConnection(fn: (connected: boolean) => void): () => void {
      if (typeof fn !== 'function') throw new TypeError('onConnection(fn): fn must be a function.');
      // Changes only, like the Web UI's bridge: true when a connection comes up, false when it is lost.
      connectionFns.add(fn);
      return () => void connectionFns.delete(fn);
    },
    native,
  };
  return Object.freeze(bridge);
}

async function invokeNative<T>(env: PreloadEnv, channel: NativeChannel, ...args: unknown[]): Promise<NativeReply<T>> {
  try {
    const r = (await env.invoke(channel, ...args)) as NativeReply<T> | undefined;
    if (r && typeof r === 'object' && (r.ok === true || r.ok === false)) return r;
    return { ok: false, error: { code: 'INTERNAL', message: 'Unexpected reply from the app.' } };
  } catch {
    return { ok: false, error: { code: 'INTERNAL', message: 'The app could not do this.' } };
  }
}

function safe(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    // A broken listener must not stop the others; report it like an uncaught error.
    queueMicrotask(() => {
      throw err;
    });
  }
}
