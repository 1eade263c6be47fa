/**
 * Reconnect delays: doubling from `baseMs` up to `maxMs`, with ±20 % jitter so many open
 * tabs do not hammer a restarting daemon in lockstep. Bounded: never above maxMs.
 */
export interface BackoffOptions {
  baseMs?: number;
  maxMs?: number;
  /** 0..1, Math.random by default (a fixed value in tests). */
  random?: () => number;
}

export function backoffDelay(attempt: number, { baseMs = 500, maxMs = 10_000, random = Math.random }: BackoffOptions = {}): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, Math.min(attempt, 30)));
  const jittered = exp * (0.8 + 0.4 * random());
  return Math.round(Math.min(maxMs, Math.max(0, jittered)));
}
