import type { ShoalBridge } from '../../../engine/api/bridge.js';
import { EVENT_NAMES, type EngineEvents, type EventName, type HistoryEntry, type MethodName, type MethodParams, type MethodResult } from '../../../engine/api/contract.js';
import type { ErrorData } from '../../../engine/api/error-data.js';
import { HISTORY_CAP, HISTORY_FETCH_LIMIT, type AppState } from './app-state.js';
import { mergeHistory } from './history.js';
import { addNotice, reduceEvent } from './reducers.js';
import type { AppStore } from './store.js';
import { realTimers, throttle, type Throttled, type Timers } from './throttle.js';

/**
 * Keeps the store current: one full fetch at start (and after every reconnect), then
 * engine events. An event either patches the store directly (reducers.ts) or triggers a
 * throttled refetch of the one slice it says changed. There is no polling timer anywhere:
 * every fetch follows an event or a (re)connection.
 */

export type SyncBridge = Pick<ShoalBridge, 'call' | 'on' | 'onConnection'>;

export interface SyncOptions {
  timers?: Timers;
  /** Minimum ms between refetches of each slice. */
  intervals?: Partial<Record<'folders' | 'devices' | 'transfers', number>>;
  /** History events are applied in batches at most this often (a big sync sends thousands). */
  historyBatchMs?: number;
}

export interface SyncController {
  /** Refetch everything (after a reconnect; also exposed for a manual refresh). */
  fetchAll(): Promise<void>;
  refetch: Record<'folders' | 'devices' | 'transfers', Throttled>;
  stop(): void;
}

/** Calls that fail because the connection dropped are shown by the banner, not as notices. */
const CONNECTION_CODES: ReadonlySet<string> = new Set(['SHUTTING_DOWN']);

export function startSync(bridge: SyncBridge, store: AppStore, opts: SyncOptions = {}): SyncController {
  const timers = opts.timers ?? realTimers;
  let stopped = false;
  let lost = false;

  const report = (error: ErrorData) => {
    if (stopped || CONNECTION_CODES.has(error.code)) return;
    store.setState((s) => addNotice(s, error));
  };

  /** A fetcher for one slice; only the newest request's answer is applied. */
  function slice<M extends MethodName>(method: M, params: MethodParams<M>, toPatch: (value: MethodResult<M>, s: AppState) => Partial<AppState>) {
    let generation = 0;
    /** Resolves true when the engine answered (even if a newer request's answer replaced this one). */
    return async (): Promise<boolean> => {
      const mine = ++generation;
      let outcome;
      try {
        outcome = await bridge.call(method, params);
      } catch (err) {
        // A bridge should answer with { ok: false }, but a thrown error must not kill the loop.
        outcome = { ok: false as const, error: { code: 'INTERNAL' as const, message: err instanceof Error ? err.message : String(err) } };
      }
      if (stopped) return false;
      if (mine === generation) {
        if (outcome.ok) store.setState((s) => toPatch(outcome.value as MethodResult<M>, s));
        else report(outcome.error);
      }
      return outcome.ok || !CONNECTION_CODES.has(outcome.error.code);
    };
  }

  const fetchers = {
    status: slice('getStatus', {}, (status) => ({ status, speed: { ...status.speed } })),
    folders: slice('getFolders', {}, (folders) => ({ folders })),
    devices: slice('getDevices', {}, (devices) => ({ devices })),
    transfers: slice('getTransfers', {}, (transfers) => ({ transfers })),
    history: slice('getHistory', { limit: HISTORY_FETCH_LIMIT }, (entries, s) => ({ history: mergeHistory(s.history, entries, HISTORY_CAP) })),
    prefs: slice('getPrefs', {}, (prefs) => ({ prefs })),
    uiPrefs: slice('getUiPrefs', {}, (uiPrefs) => ({ uiPrefs })),
  };

  const iv = { folders: 500, devices: 1000, transfers: 333, ...opts.intervals };
  const refetch = {
    folders: throttle(() => void fetchers.folders(), iv.folders, timers),
    devices: throttle(() => void fetchers.devices(), iv.devices, timers),
    transfers: throttle(() => void fetchers.transfers(), iv.transfers, timers),
  };

  async function fetchAll(): Promise<void> {
    const answered = await Promise.all(Object.values(fetchers).map((f) => f()));
    // Nothing answered: the connection is down and onConnection will bring us back here.
    if (stopped || !answered.some(Boolean)) return;
    store.setState({ loaded: true, ...(lost ? {} : { connection: 'connected' as const }) });
  }

  // History arrives one event per file: batch them so a burst costs one merge, not thousands.
  let historyQueue: HistoryEntry[] = [];
  let historyTimer: unknown = null;
  const flushHistory = () => {
    historyTimer = null;
    const batch = historyQueue;
    historyQueue = [];
    if (!stopped && batch.length > 0) store.setState((s) => ({ history: mergeHistory(s.history, batch, HISTORY_CAP) }));
  };

  /** Which slices an event makes stale (beyond what its reducer already patched). */
  const stale: { [E in EventName]?: (p: EngineEvents[E]) => Array<keyof typeof refetch> } = {
    foldersChanged: () => ['folders', 'devices'],
    folderState: () => ['folders'],
    syncFinished: () => ['folders', 'devices', 'transfers'],
    fileAdded: () => ['folders'],
    fileUpdated: () => ['folders'],
    fileDeleted: () => ['folders'],
    fileRenamed: () => ['folders'],
    conflict: () => ['folders'],
    peerConnected: () => ['devices', 'folders'],
    peerDisconnected: () => ['devices', 'folders', 'transfers'],
    transferProgress: () => ['transfers', 'devices', 'folders'],
    // The zero sample after a transfer ends: finished transfers and device speeds settle.
    speed: (p) => (p.download === 0 && p.upload === 0 ? ['transfers', 'devices'] : []),
    error: (p) => (p.folder ? ['folders'] : []),
    // The engine counts transfers in its status: a changed count (e.g. the last upload's
    // window closing) means the list is stale, with no other event to say so.
    status: (p) => (p.transfers !== store.getState().transfers.length ? ['transfers'] : []),
  };

  function onEvent<E extends EventName>(name: E, payload: EngineEvents[E]): void {
    if (stopped) return;
    if (name === 'history') {
      historyQueue.push(payload as HistoryEntry);
      if (historyTimer === null) historyTimer = timers.setTimeout(flushHistory, opts.historyBatchMs ?? 100);
      return;
    }
    const patch = reduceEvent(store.getState(), name, payload);
    if (patch) store.setState(patch);
    const which = stale[name] as ((p: EngineEvents[E]) => Array<keyof typeof refetch>) | undefined;
    for (const s of which?.(payload) ?? []) refetch[s].run();
  }

  const offs = EVENT_NAMES.map((name) => bridge.on(name, (payload) => onEvent(name, payload)));
  offs.push(
    bridge.onConnection((connected) => {
      if (stopped) return;
      if (!connected) {
        lost = true;
        store.setState({ connection: 'reconnecting' });
        return;
      }
      // Back after a loss: what happened meanwhile came as no events, so fetch it all.
      const wasLost = lost;
      lost = false;
      store.setState({ connection: 'connected' });
      if (wasLost) void fetchAll();
    }),
  );

  void fetchAll();

  return {
    fetchAll,
    refetch,
    stop() {
      stopped = true;
      for (const off of offs) off();
      for (const r of Object.values(refetch)) r.cancel();
      if (historyTimer !== null) timers.clearTimeout(historyTimer);
    },
  };
}
