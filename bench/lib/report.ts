/** RESULT lines in exactly the Syncthing anchor's format, plus number formatting helpers. */

/** awk's printf "%.3f" (what the anchor's `calc` prints). */
export function f3(x: number): string {
  return Number.isFinite(x) ? x.toFixed(3) : String(x);
}

/** MB/s with MB = 10^6 bytes, "%.3f". */
export function mbps(bytes: number, secs: number): string {
  return secs > 0 ? f3(bytes / 1e6 / secs) : 'inf';
}

/** Integer MiB from kB, like the anchor's $((kB / 1024)). */
export const mibFromKb = (kb: number): number => Math.trunc(kb / 1024);

export function formatResult(name: string, secs: string, rate: string, note: string): string {
  return `RESULT  ${name.padEnd(26)} ${secs.padStart(10)} s  ${rate.padStart(10)} MB/s  ${note}`;
}

export class Results {
  readonly lines: string[] = [];

  /** Print one RESULT line on stdout and remember it for the final summary. */
  add(name: string, secs: number, rate: string, note: string): void {
    const line = formatResult(name, f3(secs), rate, note);
    this.lines.push(line);
    process.stdout.write(line + '\n');
  }
}

export function say(line: string): void {
  process.stdout.write(line + '\n');
}
