import type { EngineEvents, EngineStatus, EventName, Speed, TrayState } from '../api/contract.js';

/** What the device-wide status is computed from (the engine implements it). */
export interface StatusSource {
  readonly deviceId: string;
  deviceName(): string;
  paused(): boolean;
  speed(): Speed;
  folders(): Iterable<{ readonly error: unknown; readonly indexing: boolean; readonly busy: boolean }>;
  /** Devices connected that share at least one folder with us. */
  connectedPeers(): number;
  /** Files moving now, as getTransfers lists them. */
  transfers(): number;
}

export function computeStatus(src: StatusSource): EngineStatus {
  let folders = 0;
  let errors = 0;
  let busy = false;
  for (const f of src.folders()) {
    folders++;
    if (f.error) errors++;
    // Work in a stopped folder does not count: it cannot progress until the error is fixed.
    else if (f.indexing || f.busy) busy = true;
  }
  const peers = src.connectedPeers();
  const paused = src.paused();
  return {
    device_id: src.deviceId,
    device_name: src.deviceName(),
    paused,
    speed: src.speed(),
    state: trayState({ paused, errors, folders, peers, busy }),
    folders,
    peers,
    errors,
    transfers: src.transfers(),
  };
}

/** The tray icon's state, most important first. */
export function trayState(s: { paused: boolean; errors: number; folders: number; peers: number; busy: boolean }): TrayState {
  if (s.paused) return 'paused';
  if (s.errors > 0) return 'error';
  if (s.folders > 0 && s.peers === 0) return 'disconnected';
  if (s.busy) return 'syncing';
  return 'idle';
}

const POKE_DELAY_MS = 50;

/**
 * Emits `status` whenever any field changes. The engine calls check() on its once-a-second
 * speed sample (speed, and work starting or ending, change no faster than that) and poke()
 * after events that change the state at once (pause, peers, folders, errors).
 */
export class StatusTracker {
  private last = '';
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly src: StatusSource,
    private readonly emit: (s: EngineStatus) => void,
  ) {}

  current(): EngineStatus {
    return computeStatus(this.src);
  }

  check(): EngineStatus {
    const s = computeStatus(this.src);
    const json = JSON.stringify(s);
    if (json !== this.last) {
      this.last = json;
      this.emit(s);
    }
    return s;
  }

  /** Check soon; several pokes in a burst (a peer joining many folders) make one check. */
  poke(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.check();
    }, POKE_DELAY_MS);
    this.timer.unref();
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

interface EventHub {
  on<E extends EventName>(event: E, fn: (payload: EngineEvents[E]) => void): () => void;
  emit<E extends EventName>(event: E, payload: EngineEvents[E]): void;
}

/**
 * The engine's status tracker: emits `status` through `hub` and checks again after the
 * events that change the tray state at once (work starting or ending is seen by the
 * engine's once-a-second check).
 */
export function trackStatus(hub: EventHub, src: StatusSource): StatusTracker {
  const tracker = new StatusTracker(src, (st) => hub.emit('status', st));
  for (const ev of ['peerConnected', 'peerDisconnected', 'folderState', 'syncFinished', 'foldersChanged', 'prefs'] as const) {
    hub.on(ev, () => tracker.poke());
  }
  return tracker;
}
