import type { EngineEvents, EventName, UiPrefs } from '../engine/api/contract.js';
import { realTimers, type Timers } from './supervisor.js';

/**
 * When to show a desktop notification, and what it says. Four kinds, each switched by the
 * engine's UiPrefs `notify_*` flag: sync finished (files arrived from another device),
 * conflicts, new devices, errors. Events are collected per kind and shown after a quiet
 * moment (or a maximum delay), merged into one notification per kind, and at most a few
 * notifications a minute are shown: 1000 files or 1000 conflicts make one notification.
 */

export type NotifyKind = 'syncFinished' | 'conflict' | 'newDevice' | 'error';

export interface Note {
  kind: NotifyKind;
  title: string;
  body: string;
  /** A folder to open when the notification is clicked (single-folder notes). */
  dir?: string;
}

export interface KnownDevices {
  has(id: string): boolean;
  add(id: string): void;
}

export function memoryKnownDevices(ids: Iterable<string> = []): KnownDevices {
  const set = new Set(ids);
  return { has: (id) => set.has(id), add: (id) => void set.add(id) };
}

export interface NotifierOptions {
  show(note: Note): void;
  /** Current UI prefs; null while unknown (nothing is shown until they are known). */
  prefs(): UiPrefs | null;
  knownDevices: KnownDevices;
  timers?: Timers;
  /** Show once nothing new arrived for this long (default 1.5 s)… */
  quietMs?: number;
  /** …or at the latest this long after the first pending event (default 8 s). */
  maxDelayMs?: number;
  /** At most this many notifications per minute; more wait and merge (default 4). */
  maxPerMinute?: number;
  /** The same error (code + folder) is not shown again within this long (default 10 min). */
  errorRepeatMs?: number;
}

const PREF_OF: Record<NotifyKind, keyof UiPrefs> = {
  syncFinished: 'notify_sync_finished',
  conflict: 'notify_conflicts',
  newDevice: 'notify_new_devices',
  error: 'notify_errors',
};

/** Bounds on what is kept between flushes, whatever arrives. */
const MAX_KEYS = 50;

interface Pending {
  /** dir → files received from other devices since its last syncFinished note. */
  finished: Map<string, number>;
  /** dir → conflicts (count, first path). */
  conflicts: Map<string, { count: number; path: string }>;
  /** device id → name. */
  devices: Map<string, string>;
  /** error key → message. */
  errors: Map<string, { message: string; dir?: string }>;
}

export class NotificationPolicy {
  private readonly o: Required<Omit<NotifierOptions, 'timers'>> & { timers: Timers };
  private pending: Pending = emptyPending();
  /** Files received per folder since that folder's last syncFinished event. */
  private received = new Map<string, number>();
  private readonly errorShownAt = new Map<string, number>();
  private readonly shownAt: number[] = [];
  private firstPendingAt: number | null = null;
  private timer: unknown = null;
  private disposed = false;

  constructor(opts: NotifierOptions) {
    this.o = {
      show: opts.show,
      prefs: opts.prefs,
      knownDevices: opts.knownDevices,
      timers: opts.timers ?? realTimers,
      quietMs: opts.quietMs ?? 1500,
      maxDelayMs: opts.maxDelayMs ?? 8000,
      maxPerMinute: opts.maxPerMinute ?? 4,
      errorRepeatMs: opts.errorRepeatMs ?? 10 * 60_000,
    };
  }

  /** Feed one engine event (the wiring subscribes to every event name and calls this). */
  handle<E extends EventName>(event: E, payload: EngineEvents[E]): void {
    if (this.disposed) return;
    switch (event) {
      case 'fileAdded':
      case 'fileUpdated':
      case 'fileDeleted':
      case 'fileRenamed': {
        const p = payload as EngineEvents['fileAdded'];
        if (p.device === '') return; // our own change: nothing arrived
        if (!this.received.has(p.dir) && this.received.size >= MAX_KEYS) return;
        this.received.set(p.dir, (this.received.get(p.dir) ?? 0) + 1);
        return;
      }
      case 'syncFinished': {
        const p = payload as EngineEvents['syncFinished'];
        const files = this.received.get(p.dir) ?? 0;
        this.received.delete(p.dir);
        if (files === 0 || !this.enabled('syncFinished')) return;
        if (!this.pending.finished.has(p.dir) && this.pending.finished.size >= MAX_KEYS) return;
        this.pending.finished.set(p.dir, (this.pending.finished.get(p.dir) ?? 0) + files);
        this.schedule();
        return;
      }
      case 'conflict': {
        const p = payload as EngineEvents['conflict'];
        if (!this.enabled('conflict')) return;
        const c = this.pending.conflicts.get(p.dir);
        if (c) c.count++;
        else if (this.pending.conflicts.size < MAX_KEYS) this.pending.conflicts.set(p.dir, { count: 1, path: p.path });
        this.schedule();
        return;
      }
      case 'peerConnected': {
        const p = payload as EngineEvents['peerConnected'];
        if (this.o.knownDevices.has(p.peerId)) return;
        this.o.knownDevices.add(p.peerId);
        if (!this.enabled('newDevice')) return;
        if (this.pending.devices.size < MAX_KEYS) this.pending.devices.set(p.peerId, p.name || p.peerId.slice(0, 7));
        this.schedule();
        return;
      }
      case 'error': {
        const p = payload as EngineEvents['error'];
        this.addError(`${p.code}|${p.folder ?? ''}|${p.peerId ?? ''}`, p.message);
        return;
      }
      case 'folderState': {
        const p = payload as EngineEvents['folderState'];
        if (p.error) this.addError(`${p.error.code}|${p.folder}|`, p.error.message, p.dir);
        return;
      }
      default:
        return;
    }
  }

  /** Show what is pending now (respecting the rate limit). */
  flush(): void {
    this.clearTimer();
    if (this.disposed) return;
    const now = this.o.timers.now();
    while (this.shownAt.length > 0 && now - this.shownAt[0]! >= 60_000) this.shownAt.shift();
    const notes = this.compose();
    if (notes.length === 0) return;
    const room = this.o.maxPerMinute - this.shownAt.length;
    if (room <= 0) {
      // Over the limit: keep everything pending (already merged per kind) and retry when a slot frees.
      this.timer = this.o.timers.setTimeout(() => this.flush(), Math.max(50, 60_000 - (now - this.shownAt[0]!)));
      return;
    }
    const showNow = notes.slice(0, room);
    for (const n of showNow) {
      this.take(n.kind);
      this.shownAt.push(now);
      try {
        this.o.show(n);
      } catch {
        // A notification that cannot be shown must not break the app.
      }
    }
    if (notes.length > showNow.length) {
      this.firstPendingAt = now;
      this.timer = this.o.timers.setTimeout(() => this.flush(), Math.max(50, 60_000 - (now - this.shownAt[0]!)));
    } else {
      this.firstPendingAt = null;
    }
  }

  /** Forget everything pending (the engine went away: its events are stale). */
  reset(): void {
    this.clearTimer();
    this.pending = emptyPending();
    this.received.clear();
    this.firstPendingAt = null;
  }

  dispose(): void {
    this.reset();
    this.disposed = true;
  }

  private addError(key: string, message: string, dir?: string): void {
    if (!this.enabled('error')) return;
    const now = this.o.timers.now();
    const last = this.errorShownAt.get(key);
    if (last !== undefined && now - last < this.o.errorRepeatMs) return;
    if (this.errorShownAt.size > 500) this.errorShownAt.clear();
    this.errorShownAt.set(key, now);
    if (this.pending.errors.size < MAX_KEYS && !this.pending.errors.has(key)) this.pending.errors.set(key, { message, ...(dir ? { dir } : {}) });
    this.schedule();
  }

  private enabled(kind: NotifyKind): boolean {
    const prefs = this.o.prefs();
    return !!prefs && prefs[PREF_OF[kind]] === true;
  }

  private schedule(): void {
    const now = this.o.timers.now();
    if (this.firstPendingAt === null) this.firstPendingAt = now;
    // Over the rate limit a retry is already scheduled; new events just merge in.
    if (this.timer !== null && this.shownAt.length >= this.o.maxPerMinute) return;
    this.clearTimer();
    const wait = Math.max(0, Math.min(this.o.quietMs, this.firstPendingAt + this.o.maxDelayMs - now));
    this.timer = this.o.timers.setTimeout(() => this.flush(), wait);
  }

  private clearTimer(): void {
    if (this.timer !== null) this.o.timers.clearTimeout(this.timer);
    this.timer = null;
  }

  private take(kind: NotifyKind): void {
    if (kind === 'syncFinished') this.pending.finished.clear();
    else if (kind === 'conflict') this.pending.conflicts.clear();
    else if (kind === 'newDevice') this.pending.devices.clear();
    else this.pending.errors.clear();
  }

  /** One note per kind with something pending, still enabled; order: errors, conflicts, devices, finished. */
  private compose(): Note[] {
    const out: Note[] = [];
    const p = this.pending;
    const drop = (k: NotifyKind) => {
      if (!this.enabled(k)) this.take(k);
      return !this.enabled(k);
    };
    if (p.errors.size > 0 && !drop('error')) {
      const list = [...p.errors.values()];
      const first = list[0]!;
      out.push(
        list.length === 1
          ? { kind: 'error', title: 'Shoal: a problem needs attention', body: first.message, ...(first.dir ? { dir: first.dir } : {}) }
          : { kind: 'error', title: `Shoal: ${list.length} problems need attention`, body: `${first.message} (and ${list.length - 1} more)` },
      );
    }
    if (p.conflicts.size > 0 && !drop('conflict')) {
      const entries = [...p.conflicts.entries()];
      const total = entries.reduce((n, [, c]) => n + c.count, 0);
      const [dir, c] = entries[0]!;
      if (total === 1) {
        out.push({ kind: 'conflict', title: `Conflict in ${baseName(dir)}`, body: `${c.path} was changed on two devices. The other version is in .SyncArchive.`, dir });
      } else if (entries.length === 1) {
        out.push({ kind: 'conflict', title: `${total} conflicts in ${baseName(dir)}`, body: 'Files were changed on two devices. The other versions are in .SyncArchive.', dir });
      } else {
        out.push({ kind: 'conflict', title: `${total} conflicts in ${entries.length} folders`, body: 'Files were changed on two devices. The other versions are in each folder’s .SyncArchive.' });
      }
    }
    if (p.devices.size > 0 && !drop('newDevice')) {
      const names = [...p.devices.values()];
      out.push({
        kind: 'newDevice',
        title: names.length === 1 ? 'New device connected' : `${names.length} new devices connected`,
        body: names.length <= 3 ? names.join(', ') : `${names.slice(0, 3).join(', ')} and ${names.length - 3} more`,
      });
    }
    if (p.finished.size > 0 && !drop('syncFinished')) {
      const entries = [...p.finished.entries()];
      const files = entries.reduce((n, [, f]) => n + f, 0);
      const [dir] = entries[0]!;
      out.push(
        entries.length === 1
          ? { kind: 'syncFinished', title: `${baseName(dir)} is up to date`, body: `${plural(files, 'file')} received from other devices.`, dir }
          : { kind: 'syncFinished', title: `${entries.length} folders are up to date`, body: `${plural(files, 'file')} received from other devices.` },
      );
    }
    return out;
  }
}

function emptyPending(): Pending {
  return { finished: new Map(), conflicts: new Map(), devices: new Map(), errors: new Map() };
}

function baseName(dir: string): string {
  const parts = dir.split(/[\\/]+/).filter(Boolean);
  return parts[parts.length - 1] ?? dir;
}

function plural(n: number, word: string): string {
  return `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
}
