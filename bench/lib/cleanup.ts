/**
 * Cleanup on every exit path: actions run last-registered-first (stop processes before
 * removing their directories), once, whether the run ends normally, with an error or on a
 * signal. A synchronous last resort (`onExitSync`) runs in process 'exit' for anything that
 * is still alive (e.g. when the harness is ended while a cleanup step hangs).
 */
import { errText, log } from './log.js';

type Action = () => void | Promise<void>;

const actions: { what: string; fn: Action }[] = [];
const exitHooks: (() => void)[] = [];
let running: Promise<void> | null = null;
let closing = false;

export function onCleanup(what: string, fn: Action): void {
  actions.push({ what, fn });
}

export function onExitSync(fn: () => void): void {
  exitHooks.push(fn);
}

/** True once cleanup has begun: new work (starting processes) must not start. */
export const isClosing = (): boolean => closing;

export function runCleanup(): Promise<void> {
  closing = true;
  running ??= (async () => {
    while (actions.length > 0) {
      const a = actions.pop()!;
      try {
        await a.fn();
      } catch (e) {
        log(`cleanup (${a.what}) failed: ${errText(e)}`);
      }
    }
  })();
  return running;
}

const SIGNALS: [NodeJS.Signals, number][] = [
  ['SIGINT', 130],
  ['SIGTERM', 143],
  ['SIGHUP', 129],
];

/** Install signal handlers: first signal -> cleanup then exit(128+n); second -> exit at once. */
export function installSignalHandlers(): void {
  let got = false;
  for (const [sig, code] of SIGNALS) {
    process.on(sig, () => {
      if (got) {
        log(`${sig} again, exiting without waiting for cleanup`);
        process.exit(code);
      }
      got = true;
      log(`${sig}: cleaning up`);
      void runCleanup().finally(() => process.exit(code));
    });
  }
  process.on('exit', () => {
    for (const h of exitHooks) {
      try {
        h();
      } catch {
        /* last resort, nothing to report to */
      }
    }
  });
}
