import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/**
 * Private test networks made of Linux network namespaces: a "switch" namespace holding a
 * bridge, and N node namespaces, each with one veth (`veth0`) plugged into the bridge and
 * an address in 10.213.7.0/24. These addresses exist only inside namespaces we create, so
 * multicast and broadcast sent there never touch the host's real interfaces. Nothing here
 * changes the host namespace: every link is created inside a test namespace.
 *
 * Needs root and iproute2. Names carry our pid so a crashed run's leftovers can be told
 * apart and swept by a later run.
 */
export const SUBNET_PREFIX = '10.213.7';
export const BROADCAST = `${SUBNET_PREFIX}.255`;
const NAME_PREFIX = 'shoalt-';

export interface NetnsNode {
  ns: string;
  ifname: string;
  address: string;
}

export interface TestNetwork {
  nodes: NetnsNode[];
  switchNs: string;
  broadcast: string;
  /** Deletes every namespace of this network (and with them their veths). Idempotent. */
  destroy(): void;
}

function ip(args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
}

const live = new Set<string>();
process.on('exit', () => {
  for (const ns of live) deleteNs(ns); // last resort if a test died before its finally
});

function deleteNs(ns: string): void {
  try { ip(['netns', 'del', ns]); } catch { /* already gone */ }
  live.delete(ns);
}

function addNs(ns: string): void {
  ip(['netns', 'add', ns]);
  live.add(ns);
  ip(['-n', ns, 'link', 'set', 'lo', 'up']);
}

/** Why namespaces cannot be used here, or null if they can (probes by making one). */
export function netnsUnavailableReason(): string | null {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'network namespaces need root';
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore', timeout: 5000 });
  } catch {
    return 'iproute2 (`ip`) is not installed (apt-get install -y iproute2)';
  }
  const probe = `${NAME_PREFIX}${process.pid}-probe`;
  try {
    addNs(probe);
    return null;
  } catch (err) {
    return `cannot create a network namespace: ${(err as Error).message.split('\n')[0]}`;
  } finally {
    deleteNs(probe);
  }
}

/** Remove namespaces left by earlier runs whose process is gone. */
export function sweepStaleNamespaces(): void {
  let list = '';
  try { list = ip(['netns', 'list']); } catch { return; }
  for (const line of list.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const m = new RegExp(`^${NAME_PREFIX}(\\d+)-`).exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    let alive = true;
    try { process.kill(pid, 0); } catch { alive = false; } // signal 0: existence check only
    if (!alive) deleteNs(name);
  }
}

function waitCarrier(ns: string, ifname: string): void {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    if (ip(['-n', ns, 'link', 'show', ifname]).includes('LOWER_UP')) return;
    execFileSync('sleep', ['0.05']);
  }
  throw new Error(`${ifname} in ${ns} never came up`);
}

export function createNetwork(count: number): TestNetwork {
  if (count < 1 || count > 8) throw new RangeError('1..8 nodes');
  sweepStaleNamespaces();
  const tag = `${NAME_PREFIX}${process.pid}-${randomBytes(2).toString('hex')}`;
  const switchNs = `${tag}-sw`;
  const made: string[] = [];
  const destroy = () => { for (const ns of made.splice(0)) deleteNs(ns); };
  try {
    addNs(switchNs);
    made.push(switchNs);
    // No IGMP snooping: with no querier it could drop group traffic nondeterministically.
    ip(['-n', switchNs, 'link', 'add', 'br0', 'type', 'bridge', 'mcast_snooping', '0']);
    ip(['-n', switchNs, 'link', 'set', 'br0', 'up']);
    const nodes: NetnsNode[] = [];
    for (let k = 1; k <= count; k++) {
      const ns = `${tag}-${k}`;
      addNs(ns);
      made.push(ns);
      const port = `p${k}`;
      ip(['-n', switchNs, 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'veth0', 'netns', ns]);
      ip(['-n', switchNs, 'link', 'set', port, 'master', 'br0']);
      ip(['-n', switchNs, 'link', 'set', port, 'up']);
      const address = `${SUBNET_PREFIX}.${k}`;
      ip(['-n', ns, 'addr', 'add', `${address}/24`, 'broadcast', BROADCAST, 'dev', 'veth0']);
      ip(['-n', ns, 'link', 'set', 'veth0', 'up']);
      ip(['-n', ns, 'route', 'add', '224.0.0.0/4', 'dev', 'veth0']);
      nodes.push({ ns, ifname: 'veth0', address });
    }
    for (const n of nodes) waitCarrier(n.ns, n.ifname);
    return { nodes, switchNs, broadcast: BROADCAST, destroy };
  } catch (err) {
    destroy();
    throw err;
  }
}

export interface JsonChild {
  child: ChildProcessWithoutNullStreams;
  lines: Record<string, unknown>[];
  stderr: () => string;
  /** Resolves once a line matches, or rejects after timeoutMs / on exit. */
  waitFor(pred: (line: Record<string, unknown>) => boolean, timeoutMs: number, what: string): Promise<void>;
  /** Ask it to finish (stdin "stop"), kill it after graceMs; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

/** Spawn `cmd args` inside `ns` (or on the host when ns is null) that prints JSON lines. */
export function spawnJson(ns: string | null, cmd: string, args: string[], cwd: string): JsonChild {
  const child = ns ? spawn('ip', ['netns', 'exec', ns, cmd, ...args], { cwd }) : spawn(cmd, args, { cwd });
  const lines: Record<string, unknown>[] = [];
  let err = '';
  let buf = '';
  let exited = false;
  const exitP = new Promise<number | null>((resolve) => child.on('close', (code) => { exited = true; resolve(code); }));
  const waiters = new Set<() => void>();
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try { lines.push(JSON.parse(line) as Record<string, unknown>); } catch { err += `[bad stdout] ${line}\n`; }
    }
    for (const w of [...waiters]) w();
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => { if (err.length < 20_000) err += d; });
  void exitP.then(() => { for (const w of [...waiters]) w(); });
  return {
    child,
    lines,
    stderr: () => err,
    waitFor(pred, timeoutMs, what) {
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => done(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; stderr: ${err}`)), timeoutMs);
        const check = () => {
          if (lines.some(pred)) done();
          else if (exited) done(new Error(`process exited before ${what}; stderr: ${err}`));
        };
        const done = (e?: Error) => {
          clearTimeout(timer);
          waiters.delete(check);
          if (e) reject(e); else resolve();
        };
        waiters.add(check);
        check();
      });
    },
    async stop(graceMs = 5000) {
      if (!exited) {
        try { child.stdin.end('stop\n'); } catch { /* already closed */ }
      }
      const timer = setTimeout(() => { if (!exited) child.kill('SIGKILL'); }, graceMs);
      const code = await exitP;
      clearTimeout(timer);
      return code;
    },
  };
}
