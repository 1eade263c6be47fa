import type { TimerLike } from './types.js';

export const DEFAULT_KEEPALIVE_MS = 30_000;
export const DEFAULT_IDLE_MS = 90_000;

/**
 * Keepalive for one connection: a ping every `keepaliveMs`, and `onSilent` once nothing
 * was heard for `idleMs` (a dead peer or a broken path that TCP alone notices only after
 * many minutes). While we ourselves hold reading, silence is not the peer's fault and is
 * not counted.
 */
export class Keepalive {
  private lastHeard: number;
  private lastPing: number;
  private handle: unknown = null;

  constructor(
    private readonly timers: TimerLike,
    private readonly keepaliveMs: number,
    private readonly idleMs: number,
    private readonly on: { ping(): void; silent(idleMs: number): void; holding(): boolean },
  ) {
    this.lastHeard = this.lastPing = timers.now();
  }

  start(): void {
    if (this.handle !== null) return;
    const tick = Math.max(1, Math.min(this.keepaliveMs, Math.floor(this.idleMs / 3)));
    this.handle = this.timers.setInterval(() => this.tick(), tick);
  }

  stop(): void {
    if (this.handle !== null) this.timers.clearInterval(this.handle);
    this.handle = null;
  }

  /** Any bytes from the peer. */
  heard(): void {
    this.lastHeard = this.timers.now();
  }

  private tick(): void {
    const now = this.timers.now();
    if (this.on.holding()) this.lastHeard = now;
    if (now - this.lastHeard >= this.idleMs) {
      this.stop();
      this.on.silent(this.idleMs);
    } else if (now - this.lastPing >= this.keepaliveMs) {
      this.lastPing = now;
      this.on.ping();
    }
  }
}
