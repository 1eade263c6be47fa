import type { CallOutcome, ShoalBridge } from '../../../engine/api/bridge.js';
import { EVENT_NAMES, type EngineEvents, type EventName } from '../../../engine/api/contract.js';
import { createEngineClient, type EngineClient } from '../../../engine/api/rpc/client.js';
import { webSocketChannel, type WebSocketLike } from '../../../engine/api/rpc/websocket-channel.js';
import { toErrorData } from '../lib/errors.js';
import { realTimers, type Timers } from '../state/throttle.js';
import { backoffDelay } from './backoff.js';
import { CLOSE_SIGNED_OUT } from './gui-urls.js';

/**
 * The ShoalBridge of the Web UI: the typed engine client over a WebSocket to the daemon,
 * with reconnects. Listeners subscribe once on the bridge and survive reconnects (each new
 * socket's client forwards to them). Losing the socket reports `onConnection(false)` (the
 * "Reconnecting…" banner); a new socket that opens reports true (the store refetches).
 * A socket closed because the session ended, or one refused while the session is gone,
 * sends the user to the sign-in page instead of retrying forever.
 */

export interface BrowserBridgeDeps {
  url: string;
  makeSocket(url: string): WebSocketLike;
  /** Asked after a socket failed before it opened: is it because we are signed out? */
  sessionExpired(): Promise<boolean>;
  goToLogin(): void;
  platform?: ShoalBridge['platform'];
  timers?: Timers;
  random?: () => number;
  /** Reconnect delays (bounded exponential backoff). */
  backoff?: { baseMs?: number; maxMs?: number };
}

export interface BrowserBridge extends ShoalBridge {
  /** Close for good (page unload, tests). */
  dispose(): void;
}

type Listener = (payload: never) => void;

/** If the browser reported an error but no close follows, treat the socket as closed after this. */
const CLOSE_GRACE_MS = 2000;

export function createBrowserBridge(deps: BrowserBridgeDeps): BrowserBridge {
  const timers = deps.timers ?? realTimers;
  const listeners = new Map<EventName, Set<Listener>>();
  const connectionFns = new Set<(connected: boolean) => void>();
  let client: EngineClient | null = null;
  let reported: boolean | null = null;
  let attempt = 0;
  let disposed = false;
  let retryTimer: unknown = null;

  const setConnected = (connected: boolean) => {
    if (reported === connected) return;
    reported = connected;
    for (const fn of [...connectionFns]) fn(connected);
  };

  function connect(): void {
    retryTimer = null;
    if (disposed) return;
    const ws = deps.makeSocket(deps.url);
    let opened = false;
    let ended = false;
    // Registered before the channel's own listeners, so the close code is known first.
    ws.addEventListener('close', (ev) => lost((ev as { code?: number } | null)?.code ?? 1006));
    const c = createEngineClient(webSocketChannel(ws));
    client = c;
    for (const name of EVENT_NAMES) {
      c.on(name, (payload) => {
        for (const fn of listeners.get(name) ?? []) fn(payload as never);
      });
    }
    ws.addEventListener('open', () => {
      if (ended) return;
      opened = true;
      attempt = 0;
      setConnected(true);
    });
    // 'error' closes the channel at once but the close code comes with the later 'close'.
    c.onClose(() => {
      if (client === c) client = null;
      setConnected(false);
      timers.setTimeout(() => lost(1006), CLOSE_GRACE_MS);
    });

    function lost(code: number): void {
      if (ended) return;
      ended = true;
      if (client === c) client = null;
      c.close();
      setConnected(false);
      if (disposed) return;
      if (code === CLOSE_SIGNED_OUT) return deps.goToLogin();
      if (opened) return schedule();
      // Refused before opening: a stopped daemon, or a session that is no longer valid.
      void deps.sessionExpired().then(
        (expired) => (expired ? deps.goToLogin() : schedule()),
        () => schedule(),
      );
    }
  }

  function schedule(): void {
    if (disposed || retryTimer !== null) return;
    const delay = backoffDelay(attempt++, { ...deps.backoff, random: deps.random });
    retryTimer = timers.setTimeout(connect, delay);
  }

  connect();

  return {
    shell: 'browser',
    platform: deps.platform ?? 'other',
    native: null,
    async call(method, params) {
      const c = client;
      if (!c) {
        return { ok: false, error: { code: 'SHUTTING_DOWN', message: 'Not connected to Shoal; reconnecting…' } } as CallOutcome<typeof method>;
      }
      try {
        return { ok: true, value: await c.call(method, params) } as CallOutcome<typeof method>;
      } catch (err) {
        return { ok: false, error: toErrorData(err) };
      }
    },
    on<E extends EventName>(event: E, fn: (payload: EngineEvents[E]) => void) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(fn as Listener);
      return () => void set.delete(fn as Listener);
    },
    onConnection(fn) {
      connectionFns.add(fn);
      return () => void connectionFns.delete(fn);
    },
    dispose() {
      disposed = true;
      if (retryTimer !== null) timers.clearTimeout(retryTimer);
      client?.close();
      client = null;
    },
  };
}
