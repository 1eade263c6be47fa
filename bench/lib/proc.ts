/**
 * Child processes started by the benchmark: tracked by PID, stopped TERM -> (15 s) -> KILL,
 * plus /proc and `ss` readers (RSS, descendants, loopback-only net check).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { isClosing, onCleanup, onExitSync } from './cleanup.js';
import { fail, log, sleep } from './log.js';

export interface Tracked {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Resolves with the exit description once the process has exited. */
  readonly exited: Promise<string>;
  exitInfo: string | null;
  /** Set while we are stopping it on purpose (so an exit is not reported as a crash). */
  stopping: boolean;
}

const tracked = new Set<Tracked>();
let cleanupRegistered = false;

/** Stop every tracked process that is still running, all at once (TERM, KILL after graceS). */
export async function stopAll(graceS = 15): Promise<void> {
  await Promise.all([...tracked].map((t) => stopTracked(t, graceS)));
}

onExitSync(() => {
  for (const t of tracked) {
    if (t.exitInfo === null) {
      try {
        process.kill(t.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
});

export interface SpawnOpts {
  cwd: string;
  /** stdout+stderr go here (appended). */
  logFile: string;
  env?: NodeJS.ProcessEnv;
}

export function spawnTracked(name: string, cmd: string, args: string[], o: SpawnOpts): Tracked {
  if (isClosing()) fail(`not starting ${name}: shutting down`);
  if (!cleanupRegistered) {
    // registered after the temp dirs (at first spawn), so it runs before they are removed
    onCleanup('stop processes', () => stopAll());
    cleanupRegistered = true;
  }
  const fd = fs.openSync(o.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(cmd, args, { cwd: o.cwd, env: o.env ?? process.env, stdio: ['ignore', fd, fd] });
  } finally {
    fs.closeSync(fd);
  }
  if (child.pid === undefined) fail(`could not start ${name} (${cmd})`);
  let resolveExit!: (s: string) => void;
  const t: Tracked = {
    name,
    pid: child.pid,
    child,
    exited: new Promise<string>((r) => (resolveExit = r)),
    exitInfo: null,
    stopping: false,
  };
  child.on('exit', (code, signal) => {
    t.exitInfo = signal ? `killed by ${signal}` : `exit code ${code}`;
    resolveExit(t.exitInfo);
  });
  child.on('error', (e) => {
    t.exitInfo ??= `spawn error: ${e.message}`;
    resolveExit(t.exitInfo);
  });
  tracked.add(t);
  return t;
}

/** Throws if a tracked process exited although nobody asked it to. Called from every wait. */
export function assertAllAlive(): void {
  for (const t of tracked) assertAlive(t);
}

/** Throws if this process exited although nobody asked it to. */
export function assertAlive(t: Tracked): void {
  if (t.exitInfo !== null && !t.stopping) fail(`${t.name} (pid ${t.pid}) exited unexpectedly: ${t.exitInfo}`);
}

/** TERM, wait up to graceS, then KILL; always waits for the exit (bounded). */
export async function stopTracked(t: Tracked, graceS = 15): Promise<void> {
  if (t.exitInfo !== null) return;
  t.stopping = true;
  try {
    process.kill(t.pid, 'SIGTERM');
  } catch {
    /* gone */
  }
  const timer = sleep(graceS * 1000).then(() => 'timeout');
  if ((await Promise.race([t.exited, timer])) === 'timeout') {
    log(`pid ${t.pid} (${t.name}) did not exit on TERM, sending KILL`);
    try {
      process.kill(t.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
    await Promise.race([t.exited, sleep(5000)]);
  }
}

/** Run a command to completion (async, so signals stay responsive); throws on failure. */
export function run(cmd: string, args: string[], opts: { quiet?: boolean } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { stdio: ['ignore', 'pipe', opts.quiet ? 'ignore' : 'inherit'] });
    const out: Buffer[] = [];
    c.stdout.on('data', (b: Buffer) => out.push(b));
    c.on('error', reject);
    c.on('close', (code, sig) => {
      if (code === 0) resolve(Buffer.concat(out).toString());
      else reject(new Error(`${cmd} ${args.join(' ')}: ${sig ? `killed by ${sig}` : `exit code ${code}`}`));
    });
  });
}

// ------------------------------------------------------------------------------ /proc

export interface Mem {
  rssKb: number;
  hwmKb: number;
}

export function readMem(pid: number): Mem {
  const m: Mem = { rssKb: 0, hwmKb: 0 };
  let txt = '';
  try {
    txt = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return m;
  }
  for (const line of txt.split('\n')) {
    const [k, v] = line.split(':');
    if (k === 'VmRSS') m.rssKb = parseInt(v, 10);
    if (k === 'VmHWM') m.hwmKb = parseInt(v, 10);
  }
  return m;
}

/** All descendants of pid (children, grandchildren, ...), from /proc/<pid>/stat ppid. */
/**
 * CPU seconds (user + system, all threads) a process has used so far, from /proc/PID/stat;
 * NaN when unreadable. Less disturbed than wall time when the machine is shared.
 */
/** CPU seconds (user + system) of a process, all its threads; with `mainThreadOnly`, of its main thread. */
export function readCpuSeconds(pid: number, mainThreadOnly = false): number {
  try {
    const txt = fs.readFileSync(mainThreadOnly ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, 'utf8');
    const f = txt.slice(txt.lastIndexOf(')') + 2).split(' ');
    // After "pid (comm) ", field 3 (state) is f[0]: utime is field 14, stime field 15.
    return (Number(f[11]) + Number(f[12])) / 100; // USER_HZ is 100 on Linux
  } catch {
    return NaN;
  }
}

export function descendants(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const st = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const rest = st.slice(st.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(d), Number(rest[1]));
    } catch {
      /* raced with exit */
    }
  }
  const out: number[] = [];
  const todo = [pid];
  while (todo.length) {
    const p = todo.pop()!;
    for (const [c, pp] of parent) if (pp === p) (out.push(c), todo.push(c));
  }
  return out;
}

// ------------------------------------------------------------------------------ net check

/**
 * Every socket of the given pids (and their descendants) must be on 127.0.0.1: local address
 * 127.0.0.1:*, peer 127.0.0.1:* or unconnected. Same rule as the Syncthing anchor's
 * `netcheck` (`ss -tuanpH`, columns 5 and 6). Returns the NETCHECK line.
 */
export async function netcheck(pids: number[]): Promise<{ line: string; bad: number; total: number }> {
  const all = [...new Set(pids.flatMap((p) => [p, ...descendants(p)]))];
  let out = '';
  try {
    out = await run('ss', ['-tuanpH'], { quiet: true });
  } catch (e) {
    log(`NETCHECK: ss failed: ${(e as Error).message}`);
  }
  let total = 0;
  let bad = 0;
  for (const line of out.split('\n')) {
    if (!line.trim()) continue;
    if (!all.some((p) => line.includes(`pid=${p},`))) continue;
    total++;
    const col = line.trim().split(/\s+/);
    const la = col[4] ?? '';
    const pa = col[5] ?? '';
    if (!la.startsWith('127.0.0.1:') || !(pa.startsWith('127.0.0.1:') || pa === '0.0.0.0:*' || pa === '*:*')) {
      bad++;
      log(`NETCHECK violation: ${line.trim()}`);
    }
  }
  const extra = all.length > pids.length ? ` (+${all.length - pids.length} descendant pids)` : '';
  return { line: `NETCHECK: ${total} sockets of pids ${pids.join(' ')}${extra}; non-loopback: ${bad}`, bad, total };
}
