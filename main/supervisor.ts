import { ChannelListeners, type Channel, type RpcMessage } from '../engine/api/rpc/channel.js';
import { createEngineClient, type EngineClient } from '../engine/api/rpc/client.js';
import { parseHostToMain, type HostReady } from './host-protocol.js';

/**
 * Keeps the engine process alive for the desktop shell. It forks the engine host through a
 * small `ForkFn` facade (Electron: utilityProcess.fork; tests: child_process.fork or a
 * fake), waits for the `ready` handshake (with a timeout), serves main's own EngineClient
 * over the child's parent link, restarts after a crash with exponential backoff (reset once
 * the engine has run for a stable period), gives up with a clear error after N fast crashes
 * in a row, and on stop() asks the engine to shut down over RPC, waits, then kills it.
 */

/** One engine process, as the supervisor sees it. */
export interface EngineChild {
  readonly pid: number | undefined;
  /** Send on the parent link (`transfer`: ports, where the transport supports them). */
  postMessage(message: unknown, transfer?: readonly unknown[]): void;
  /** Every message on the parent link (the data itself). */
  onMessage(fn: (message: unknown) => void): void;
  /** Once, when the process is gone. */
  onExit(fn: (code: number | null, signal?: string | null) => void): void;
  /** Force it to end now. */
  kill(): void;
}

export type ForkFn = () => EngineChild;

export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export interface SupervisorOptions {
  fork: ForkFn;
  /** No `ready` within this long after forking counts as a crash (default 30 s). */
  readyTimeoutMs?: number;
  /** First restart delay (default 500 ms), doubled per fast crash up to maxBackoffMs (30 s). */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** An engine that ran this long before crashing resets the backoff (default 60 s). */
  stablePeriodMs?: number;
  /** Give up after this many fast crashes in a row (default 5). */
  maxFastCrashes?: number;
  /** stop(): how long to wait for a clean exit after `shutdown` before killing (default 10 s). */
  stopTimeoutMs?: number;
  /** stop(): how long to wait for the exit after kill() (default 3 s). */
  killTimeoutMs?: number;
  timers?: Timers;
  /** Diagnostics (default: nowhere). */
  log?(level: 'info' | 'warn' | 'error', msg: string): void;
}

export type SupervisorState = 'idle' | 'starting' | 'running' | 'waiting' | 'stopping' | 'stopped' | 'failed';

export interface SupervisorEvents {
  /** The engine is up: main's client and the child (to hand it window ports). */
  ready: { client: EngineClient; child: EngineChild; hello: HostReady; restarts: number };
  /** The running or starting engine went away (before any restart is scheduled). */
  down: { reason: string; expected: boolean };
  /** A restart is scheduled in `delayMs`; `crashes` fast crashes in a row so far. */
  restarting: { delayMs: number; crashes: number; reason: string };
  /** No more restarts. */
  gaveUp: { error: Error };
  state: SupervisorState;
}

type Listener<E extends keyof SupervisorEvents> = (payload: SupervisorEvents[E]) => void;

export class EngineSupervisor {
  private readonly o: Required<Omit<SupervisorOptions, 'log' | 'timers'>> & { timers: Timers; log: NonNullable<SupervisorOptions['log']> };
  private readonly listeners = new Map<keyof SupervisorEvents, Set<(p: never) => void>>();
  private _state: SupervisorState = 'idle';
  private child: EngineChild | null = null;
  private channel: ChildChannel | null = null;
  private _client: EngineClient | null = null;
  private readyAt = 0;
  private fastCrashes = 0;
  private restarts = 0;
  private lastReason = '';
  private readyTimer: unknown = null;
  private restartTimer: unknown = null;
  private stopping: Promise<void> | null = null;
  private exitWaiters: (() => void)[] = [];

  constructor(opts: SupervisorOptions) {
    this.o = {
      fork: opts.fork,
      readyTimeoutMs: opts.readyTimeoutMs ?? 30_000,
      initialBackoffMs: opts.initialBackoffMs ?? 500,
      maxBackoffMs: opts.maxBackoffMs ?? 30_000,
      stablePeriodMs: opts.stablePeriodMs ?? 60_000,
      maxFastCrashes: opts.maxFastCrashes ?? 5,
      stopTimeoutMs: opts.stopTimeoutMs ?? 10_000,
      killTimeoutMs: opts.killTimeoutMs ?? 3_000,
      timers: opts.timers ?? realTimers,
      log: opts.log ?? (() => {}),
    };
  }

  get state(): SupervisorState {
    return this._state;
  }

  /** main's own client while the engine is running, else null. */
  get client(): EngineClient | null {
    return this._client;
  }

  /** The running engine process (to post window ports to), else null. */
  get current(): EngineChild | null {
    return this._state === 'running' ? this.child : null;
  }

  on<E extends keyof SupervisorEvents>(event: E, fn: Listener<E>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(fn as (p: never) => void);
    return () => set.delete(fn as (p: never) => void);
  }

  /** Backoff before restart number `crashes` (1-based): initial × 2^(crashes−1), capped. */
  backoffFor(crashes: number): number {
    return Math.min(this.o.maxBackoffMs, this.o.initialBackoffMs * 2 ** Math.max(0, crashes - 1));
  }

  start(): void {
    if (this._state !== 'idle' && this._state !== 'failed') return;
    this.fastCrashes = 0;
    this.spawn();
  }

  /** After giving up: try again from scratch (the user asked to). */
  retry(): void {
    if (this._state === 'failed') this.start();
  }

  /**
   * Stop for good: no more restarts; a running engine is asked to `shutdown` over RPC and
   * killed if it has not exited within stopTimeoutMs. Idempotent; resolves once it is gone.
   */
  stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    this.stopping = this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    this.clearTimer('restartTimer');
    this.clearTimer('readyTimer');
    const child = this.child;
    if (!child) {
      this.setState('stopped');
      return;
    }
    const wasRunning = this._state === 'running';
    this.setState('stopping');
    const exited = new Promise<void>((resolve) => this.exitWaiters.push(resolve));
    if (wasRunning && this._client) {
      this.o.log('info', 'Asking the engine to shut down');
      this._client.call('shutdown', {}).catch(() => {
        // The exit is what counts; a lost reply is fine.
      });
    } else {
      // Not up yet: it cannot take an RPC call, so end it now.
      this.safeKill(child);
    }
    if (!(await this.within(exited, this.o.stopTimeoutMs))) {
      this.o.log('warn', `The engine did not stop within ${this.o.stopTimeoutMs} ms: killing it`);
      this.safeKill(child);
      if (!(await this.within(exited, this.o.killTimeoutMs))) {
        this.o.log('error', 'The engine process did not exit after kill; leaving it');
        this.detachChild();
      }
    }
    this.setState('stopped');
  }

  private within(p: Promise<void>, ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const t = this.o.timers.setTimeout(() => resolve(false), ms);
      void p.then(() => {
        this.o.timers.clearTimeout(t);
        resolve(true);
      });
    });
  }

  private spawn(): void {
    this.setState('starting');
    let child: EngineChild;
    try {
      child = this.o.fork();
    } catch (err) {
      this.crashed(`could not start the engine process: ${(err as Error)?.message ?? String(err)}`);
      return;
    }
    this.child = child;
    const channel = new ChildChannel(child);
    this.channel = channel;
    let exited = false;
    child.onMessage((raw) => {
      if (this.child !== child) return;
      const hostMsg = parseHostToMain(raw);
      if (!hostMsg) {
        channel.deliver(raw);
        return;
      }
      if (hostMsg.host === 'failed') {
        this.lastReason = `${hostMsg.error.code}: ${hostMsg.error.message}`;
        this.o.log('error', `The engine failed to start: ${this.lastReason}`);
        return; // the host exits right after; onExit handles it
      }
      if (this._state !== 'starting') return;
      this.clearTimer('readyTimer');
      this.readyAt = this.o.timers.now();
      this._client = createEngineClient(channel);
      this.setState('running');
      this.o.log('info', `Engine ready (pid ${hostMsg.pid}, version ${hostMsg.version})`);
      this.emit('ready', { client: this._client, child, hello: hostMsg, restarts: this.restarts });
    });
    child.onExit((code, signal) => {
      if (exited) return;
      exited = true;
      if (this.child !== child) return;
      this.onChildExit(code, signal ?? null);
    });
    this.readyTimer = this.o.timers.setTimeout(() => {
      this.readyTimer = null;
      if (this.child !== child || this._state !== 'starting') return;
      this.lastReason = `no ready message within ${this.o.readyTimeoutMs} ms`;
      this.o.log('warn', `The engine did not start: ${this.lastReason}; killing it`);
      this.safeKill(child);
    }, this.o.readyTimeoutMs);
  }

  private onChildExit(code: number | null, signal: string | null): void {
    this.clearTimer('readyTimer');
    const exitText = signal ? `killed by ${signal}` : `exit code ${code}`;
    const reason = this.lastReason ? `${this.lastReason} (${exitText})` : exitText;
    this.lastReason = '';
    const wasReady = this._state === 'running' || (this._state === 'stopping' && this.readyAt > 0);
    const uptime = wasReady ? this.o.timers.now() - this.readyAt : 0;
    this.detachChild();
    if (this._state === 'stopping') {
      this.emit('down', { reason, expected: true });
      for (const w of this.exitWaiters.splice(0)) w();
      return;
    }
    this.emit('down', { reason, expected: false });
    if (wasReady && uptime >= this.o.stablePeriodMs) this.fastCrashes = 0;
    this.crashed(reason);
  }

  private crashed(reason: string): void {
    this.child = null;
    this.fastCrashes++;
    if (this.fastCrashes >= this.o.maxFastCrashes) {
      const error = new Error(
        `The Shoal engine stopped ${this.fastCrashes} times in a row shortly after starting (last: ${reason}). ` +
          'It will not be restarted automatically; see sync.log in the app data folder.',
      );
      this.o.log('error', error.message);
      this.setState('failed');
      this.emit('gaveUp', { error });
      return;
    }
    const delayMs = this.backoffFor(this.fastCrashes);
    this.o.log('warn', `The engine stopped (${reason}); restarting in ${delayMs} ms`);
    this.setState('waiting');
    this.emit('restarting', { delayMs, crashes: this.fastCrashes, reason });
    this.restartTimer = this.o.timers.setTimeout(() => {
      this.restartTimer = null;
      if (this._state !== 'waiting') return;
      this.restarts++;
      this.spawn();
    }, delayMs);
  }

  private detachChild(): void {
    this.channel?.end();
    this.channel = null;
    this._client = null;
    this.child = null;
    this.readyAt = 0;
  }

  private safeKill(child: EngineChild): void {
    try {
      child.kill();
    } catch {
      // already gone
    }
  }

  private clearTimer(which: 'readyTimer' | 'restartTimer'): void {
    if (this[which] !== null) this.o.timers.clearTimeout(this[which]);
    this[which] = null;
  }

  private setState(s: SupervisorState): void {
    if (this._state === s) return;
    this._state = s;
    this.emit('state', s);
  }

  private emit<E extends keyof SupervisorEvents>(event: E, payload: SupervisorEvents[E]): void {
    for (const fn of this.listeners.get(event) ?? []) {
      try {
        (fn as Listener<E>)(payload);
      } catch (err) {
        this.o.log('error', `Supervisor ${event} listener failed: ${(err as Error)?.message}`);
      }
    }
  }
}

/** The RPC Channel over one child's parent link; ends when the child exits. */
class ChildChannel implements Channel {
  private readonly listeners = new ChannelListeners();

  constructor(private readonly child: EngineChild) {}

  send(msg: RpcMessage): void {
    if (!this.listeners.closed) this.child.postMessage(msg);
  }

  deliver(msg: unknown): void {
    this.listeners.deliver(msg);
  }

  onMessage(fn: (msg: unknown) => void): () => void {
    return this.listeners.onMessage(fn);
  }

  onClose(fn: () => void): () => void {
    return this.listeners.onClose(fn);
  }

  /** The client side closing does not end the process; only the supervisor does that. */
  close(): void {
    this.end();
  }

  end(): void {
    this.listeners.end();
  }
}
