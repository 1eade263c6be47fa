/**
 * Shoal's side of the benchmark: where it runs (repository, version, file system) and the
 * measurements its RESULT notes add to the anchor's (CPU time, bytes received, memory).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ShoalDaemon } from './daemon.js';
import { fail } from './log.js';
import { descendants, readCpuSeconds, readMem, run } from './proc.js';
import { f3, mibFromKb } from './report.js';

/** The repository root: the first directory above bench/ with package.json and engine/. */
export function findRepo(): string {
  let d = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (fs.existsSync(path.join(d, 'package.json')) && fs.existsSync(path.join(d, 'engine'))) return d;
    const up = path.dirname(d);
    if (up === d) fail('cannot find the repository root (package.json + engine/) above bench/');
    d = up;
  }
}

export function packageVersion(repo: string): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')) as { version?: string }).version ?? '?';
  } catch {
    return '?';
  }
}

/** The file system type of `dir` (df -T), or '?'. */
export async function fsType(dir: string): Promise<string> {
  try {
    return (await run('df', ['-T', dir], { quiet: true })).split('\n')[1]?.trim().split(/\s+/)[1] ?? '?';
  } catch {
    return '?';
  }
}

/** "N B" for the notes. `reset` matters only where the connection should have stayed up (S4). */
export function rxText(r: { bytes: number | null; reset: boolean }, flagReset = false): string {
  if (r.bytes === null) return 'n/a (get_folder_peers lacks bytes_in)';
  return `${r.bytes} B${flagReset && r.reset ? ' (peer counter went down: reconnected during the measurement)' : ''}`;
}

/** CPU seconds (user + system) used so far by A and B, all threads and main threads. */
export function cpuPair(a: ShoalDaemon, b: ShoalDaemon): number[] {
  return [readCpuSeconds(a.pid), readCpuSeconds(b.pid), readCpuSeconds(a.pid, true), readCpuSeconds(b.pid, true)];
}

/** CPU used during a scenario: more repeatable than its wall time on a shared machine. */
export function cpuText(before: number[], after: number[]): string {
  const d = after.map((x, i) => f3(x - before[i]!));
  return `CPU A ${d[0]} s (main thread ${d[2]}), B ${d[1]} s (main thread ${d[3]})`;
}

/** A daemon's resident memory now and at its peak (and its child processes', if any). */
export function memLine(d: ShoalDaemon): string {
  const m = readMem(d.pid);
  const kids = descendants(d.pid);
  const kidRss = kids.reduce((s, p) => s + readMem(p).rssKb, 0);
  const extra = kids.length ? ` [+${kids.length} child procs VmRSS=${mibFromKb(kidRss)} MiB]` : '';
  return `${d.name} VmRSS=${mibFromKb(m.rssKb)} MiB (peak ${mibFromKb(m.hwmKb)})${extra}`;
}
