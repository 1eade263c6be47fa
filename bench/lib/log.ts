/** stderr progress log, same shape as the Syncthing anchor's `log()`: `[HH:MM:SS] msg`. */
export function log(msg: string): void {
  const t = new Date().toTimeString().slice(0, 8);
  process.stderr.write(`[${t}] ${msg}\n`);
}

/** An error that ends the benchmark with a one-line reason (no stack trace). */
export class BenchError extends Error {
  override name = 'BenchError';
}

export function fail(msg: string): never {
  throw new BenchError(msg);
}

export function errText(e: unknown): string {
  if (e instanceof BenchError) return e.message;
  if (e instanceof Error) return e.stack ?? e.message;
  return String(e);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Monotonic seconds (for elapsed times). */
export const now = (): number => performance.now() / 1000;
