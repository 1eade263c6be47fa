/**
 * At most one run per `ms`, leading and trailing: the first trigger runs at once, triggers
 * inside the interval collapse into one run at its end. Used to turn bursts of events
 * (transferProgress fires per chunk) into a few refetches per second. Nothing runs without a
 * trigger: this is not a polling timer.
 */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

export const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
};

export interface Throttled {
  run(): void;
  cancel(): void;
}

export function throttle(fn: () => void, ms: number, timers: Timers = realTimers): Throttled {
  let last = -Infinity;
  let timer: unknown = null;
  const fire = () => {
    timer = null;
    last = timers.now();
    fn();
  };
  return {
    run() {
      if (timer !== null) return; // a trailing run is already planned; it covers this trigger
      const wait = last + ms - timers.now();
      if (wait <= 0) fire();
      else timer = timers.setTimeout(fire, wait);
    },
    cancel() {
      if (timer !== null) timers.clearTimeout(timer);
      timer = null;
    },
  };
}
