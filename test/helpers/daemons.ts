import type { FolderInfo } from '../../engine/api/contract.js';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { netnsUnavailableReason, sweepStaleNamespaces } from './netns.js';

/**
 * Real `shoal --config FILE` daemons as child processes, for crash / restart tests.
 *
 * Network safety: when we can (root + iproute2), every daemon runs inside a private network
 * namespace that holds only its own loopback (`Sandbox`), so the daemons' peer traffic, LAN
 * discovery socket and multicast group membership never touch the host's interfaces, and
 * fixed ports cannot collide with anything else running on the host. The HTTP API inside a
 * namespace is reached through one small bridge process per namespace (`ip netns exec NS
 * node`) that performs the GETs on its 127.0.0.1. Without namespaces the daemons run on
 * the host's 127.0.0.1 with free ports (LAN search is off in every folder, so nothing is
 * announced).
 */

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = path.join(repoRoot, 'engine', 'cli.ts');
const NS_PREFIX = 'shoalt-'; // same prefix as helpers/netns.ts, so its sweep removes our leftovers

export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

const HAS_SETPRIV = (() => {
  if (process.platform !== 'linux') return false;
  try {
    return execFileSync('setpriv', ['--help'], { encoding: 'utf8', timeout: 5000 }).includes('--pdeathsig');
  } catch {
    return false;
  }
})();

/** Resolves after ms. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Poll `cond` every `everyMs` until it returns a truthy value; fail with `what` after `ms`. */
export async function until<T>(what: string, cond: () => T | Promise<T>, ms: number, everyMs = 100): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  let lastErr: unknown = null;
  for (;;) {
    try {
      const v = await cond();
      if (v) return v as NonNullable<T>;
      lastErr = null;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${ms} ms waiting for: ${what}${lastErr ? ` (last error: ${(lastErr as Error).message})` : ''}`);
    }
    await sleep(everyMs);
  }
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Write `size` random bytes to `file` in 4 MiB pieces; returns the sha256 (hex). */
export function writeRandomFile(file: string, size: number): string {
  const h = createHash('sha256');
  const fd = fs.openSync(file, 'w');
  try {
    const piece = 4 * 1024 * 1024;
    for (let off = 0; off < size; off += piece) {
      const buf = randomBytes(Math.min(piece, size - off));
      h.update(buf);
      fs.writeSync(fd, buf);
    }
  } finally {
    fs.closeSync(fd);
  }
  return h.digest('hex');
}

/**
 * writeRandomFile in `stagingDir` (outside any synced folder), then moved to `file` whole, as
 * a browser or editor saves: a daemon watching `file`'s folder never indexes it half
 * written (an empty or short version would rightly sync first).
 */
export function moveInRandomFile(file: string, size: number, stagingDir: string): string {
  const staged = path.join(stagingDir, `${path.basename(file)}.staging`);
  const hash = writeRandomFile(staged, size);
  fs.renameSync(staged, file);
  return hash;
}

/** sha256 (hex) of a file, streamed; null when it cannot be read. */
export async function sha256File(file: string): Promise<string | null> {
  try {
    const h = createHash('sha256');
    for await (const d of fs.createReadStream(file, { highWaterMark: 4 * 1024 * 1024 })) h.update(d as Buffer);
    return h.digest('hex');
  } catch {
    return null;
  }
}

export function sizeOf(file: string): number | null {
  try {
    return fs.statSync(file).size;
  } catch {
    return null;
  }
}

async function freeHostPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

// ---------------------------------------------------------------- network namespace sandbox

/** Runs in the namespace: one JSON request per stdin line -> one JSON answer per stdout line. */
const BRIDGE_SCRIPT = `
import http from 'node:http';
import readline from 'node:readline';
const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (line) => {
  let q;
  try { q = JSON.parse(line); } catch { return; }
  const answer = (a) => process.stdout.write(JSON.stringify({ id: q.id, ...a }) + '\\n');
  const req = http.get({ host: '127.0.0.1', port: q.port, path: q.path, headers: q.headers, timeout: q.timeoutMs, agent: false }, (res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (d) => (body += d));
    res.on('end', () => answer({ status: res.statusCode, body }));
    res.on('error', (e) => answer({ error: String(e.message) }));
  });
  req.on('timeout', () => req.destroy(new Error('timeout')));
  req.on('error', (e) => answer({ error: String(e.message) }));
});
rl.on('close', () => process.exit(0));
`;

interface HttpAnswer {
  status?: number;
  body?: string;
  error?: string;
}

/** Where daemons run: a private loopback-only network namespace, or (ns null) the host. */
export class Sandbox {
  private bridge: ChildProcess | null = null;
  private pending = new Map<number, (a: HttpAnswer) => void>();
  private nextId = 1;
  private nextPort = 21000;
  private destroyed = false;

  private constructor(readonly ns: string | null, private readonly owned: boolean) {}

  /** A fresh loopback-only namespace when possible (root), else the host. */
  static create(): Sandbox {
    if (netnsUnavailableReason() !== null) return new Sandbox(null, false);
    sweepStaleNamespaces();
    const ns = `${NS_PREFIX}${process.pid}-rb${randomBytes(2).toString('hex')}`;
    execFileSync('ip', ['netns', 'add', ns], { stdio: 'ignore', timeout: 10_000 });
    liveNamespaces.add(ns);
    execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up'], { stdio: 'ignore', timeout: 10_000 });
    return new Sandbox(ns, true);
  }

  /** An existing namespace (e.g. a node of helpers/netns.ts createNetwork); not deleted by destroy(). */
  static inNamespace(ns: string): Sandbox {
    return new Sandbox(ns, false);
  }

  get description(): string {
    return this.ns ? `network namespace ${this.ns}` : 'host 127.0.0.1';
  }

  /**
   * Bytes carried by the namespace's loopback so far: every byte any daemon in it sent to
   * another (both directions, plus API calls), whatever connection carried it. null on the host.
   */
  loopbackBytes(): number | null {
    if (!this.ns) return null;
    const out = execFileSync('ip', ['-n', this.ns, '-s', '-j', 'link', 'show', 'lo'], { encoding: 'utf8', timeout: 10_000 });
    const [lo] = JSON.parse(out) as Array<{ stats64: { rx: { bytes: number } } }>;
    return lo!.stats64.rx.bytes;
  }

  /** A TCP port free for a daemon in this sandbox. */
  async port(): Promise<number> {
    if (this.ns) return this.nextPort++;
    return freeHostPort();
  }

  /** Spawn `node args` in the sandbox. */
  spawnNode(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
    const opts = { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] as ['ignore', 'pipe', 'pipe'] };
    // `ip netns exec` and `setpriv` exec the next command in place: the child's pid is node's,
    // so signals reach it. --pdeathsig: a daemon dies with the test process, even a killed one.
    const cmd = [...(HAS_SETPRIV ? ['setpriv', '--pdeathsig', 'SIGKILL'] : []), process.execPath, ...args];
    return this.ns ? spawn('ip', ['netns', 'exec', this.ns, ...cmd], opts) : spawn(cmd[0]!, cmd.slice(1), opts);
  }

  /** GET http://127.0.0.1:port/path inside the sandbox. */
  get(port: number, urlPath: string, headers: Record<string, string>, timeoutMs = 20_000): Promise<HttpAnswer> {
    if (!this.ns) return hostGet(port, urlPath, headers, timeoutMs);
    const bridge = this.ensureBridge();
    const id = this.nextId++;
    return new Promise<HttpAnswer>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve({ error: `no answer from the API bridge within ${timeoutMs + 2000} ms` });
      }, timeoutMs + 2000);
      this.pending.set(id, (a) => {
        clearTimeout(timer);
        resolve(a);
      });
      bridge.stdin!.write(JSON.stringify({ id, port, path: urlPath, headers, timeoutMs }) + '\n');
    });
  }

  private ensureBridge(): ChildProcess {
    if (this.bridge && this.bridge.exitCode === null && !this.bridge.killed) return this.bridge;
    if (this.destroyed) throw new Error('sandbox destroyed');
    const pdeath = HAS_SETPRIV ? ['setpriv', '--pdeathsig', 'SIGKILL'] : [];
    const child = spawn('ip', ['netns', 'exec', this.ns!, ...pdeath, process.execPath, '--input-type=module', '-e', BRIDGE_SCRIPT], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let buf = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        try {
          const a = JSON.parse(line) as HttpAnswer & { id: number };
          const done = this.pending.get(a.id);
          this.pending.delete(a.id);
          done?.(a);
        } catch {
          // not ours
        }
      }
    });
    child.on('exit', () => {
      for (const done of this.pending.values()) done({ error: 'the API bridge exited' });
      this.pending.clear();
    });
    liveChildren.add(child);
    child.on('exit', () => liveChildren.delete(child));
    this.bridge = child;
    return child;
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    if (this.bridge && this.bridge.exitCode === null) {
      this.bridge.stdin?.end();
      this.bridge.kill('SIGKILL');
    }
    if (this.ns && this.owned) deleteNamespace(this.ns);
  }
}

const liveNamespaces = new Set<string>();
const liveChildren = new Set<ChildProcess>();
process.on('exit', () => {
  // Last resort if a test died before its cleanup: no daemon or namespace outlives the run.
  for (const c of liveChildren) {
    try {
      c.kill('SIGKILL');
    } catch {
      // gone
    }
  }
  for (const ns of liveNamespaces) deleteNamespace(ns);
});

function deleteNamespace(ns: string): void {
  try {
    execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore', timeout: 10_000 });
  } catch {
    // already gone
  }
  liveNamespaces.delete(ns);
}

function hostGet(port: number, urlPath: string, headers: Record<string, string>, timeoutMs: number): Promise<HttpAnswer> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, headers, timeout: timeoutMs, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode, body }));
      res.on('error', (e) => resolve({ error: e.message }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ error: e.message }));
  });
}

// ---------------------------------------------------------------- daemons

export interface DaemonSetup {
  sandbox: Sandbox;
  name: string;
  /** Directory holding the config file and (by default) storage. */
  home: string;
  /** Peer listening port (fixed, so a restarted daemon is found at the same address). */
  listeningPort: number;
  apiPort: number;
  /** Extra top-level config keys (override the defaults written here). */
  extra?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
}

const LOGIN = 'admin';
const PASSWORD = 'robust-test-password';

export class ApiError extends Error {
  constructor(
    readonly method: string,
    readonly body: Record<string, unknown>,
  ) {
    super(`${method}: ${String(body.code)} ${String(body.message)}`);
  }
}

/** One `shoal --config FILE` process. Start again with start() after it exited or was killed. */
export class Daemon {
  child: ChildProcess | null = null;
  private out = '';
  private err = '';
  private exitP: Promise<number | null> = Promise.resolve(null);
  exitCode: number | null = null;
  exitSignal: NodeJS.Signals | null = null;

  constructor(readonly setup: DaemonSetup) {}

  get name(): string {
    return this.setup.name;
  }
  get storage(): string {
    return path.join(this.setup.home, 'storage');
  }
  get configFile(): string {
    return path.join(this.setup.home, 'shoal.json');
  }
  /** Address other daemons in the same sandbox dial. */
  get hostPort(): string {
    return `127.0.0.1:${this.setup.listeningPort}`;
  }
  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The config the next start() uses: defaults, then setup.extra, then `extra`. */
  writeConfig(extra: Record<string, unknown> = {}): Record<string, unknown> {
    const cfg = {
      device_name: this.name,
      listening_port: this.setup.listeningPort,
      storage_path: this.storage,
      webui: { listen: `127.0.0.1:${this.setup.apiPort}`, login: LOGIN, password: PASSWORD },
      folder_defaults: { search_lan: false },
      ...this.setup.extra,
      ...extra,
    };
    fs.mkdirSync(this.setup.home, { recursive: true });
    fs.writeFileSync(this.configFile, JSON.stringify(cfg, null, 2));
    return cfg;
  }

  /** Spawn with the current config file and wait until the API answers (bounded). */
  async start(timeoutMs = 60_000): Promise<void> {
    if (this.running) throw new Error(`${this.name} is already running`);
    if (!fs.existsSync(this.configFile)) this.writeConfig();
    this.out = '';
    this.err = '';
    this.exitCode = null;
    this.exitSignal = null;
    const child = this.setup.sandbox.spawnNode(['--import', 'tsx', CLI, '--config', this.configFile], {
      ...process.env,
      ...this.setup.env,
    });
    this.child = child;
    liveChildren.add(child);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (this.out = keepTail(this.out + d)));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.err = keepTail(this.err + d)));
    this.exitP = new Promise((resolve) =>
      child.on('exit', (code, signal) => {
        liveChildren.delete(child);
        this.exitCode = code;
        this.exitSignal = signal;
        resolve(code);
      }),
    );
    try {
      await until(`${this.name}: "API listening" on stdout`, () => {
        if (!this.running) throw new Error(`${this.name} exited (${this.exitCode ?? this.exitSignal}) before it was ready; stderr: ${this.err}`);
        return /API listening on /.test(this.out);
      }, timeoutMs, 50);
      await until(`${this.name}: API answers get_os`, async () => (await this.api('get_os')).os, 10_000, 100);
    } catch (err) {
      await this.kill9();
      throw err;
    }
  }

  /** GET /api?method=...; resolves to the JSON body; ApiError when it reports an error. */
  async api<T = Record<string, unknown>>(method: string, params: Record<string, string | number> = {}): Promise<T> {
    const q = new URLSearchParams({ method });
    for (const [k, v] of Object.entries(params)) q.set(k, String(v));
    const auth = 'Basic ' + Buffer.from(`${LOGIN}:${PASSWORD}`).toString('base64');
    const a = await this.setup.sandbox.get(this.setup.apiPort, `/api?${q.toString()}`, { authorization: auth });
    if (a.error) throw new Error(`${this.name} ${method}: ${a.error}`);
    let body: unknown;
    try {
      body = JSON.parse(a.body ?? '');
    } catch {
      throw new Error(`${this.name} ${method}: HTTP ${a.status}, not JSON: ${a.body?.slice(0, 200)}`);
    }
    if (a.status !== 200) throw new Error(`${this.name} ${method}: HTTP ${a.status} ${a.body?.slice(0, 200)}`);
    if (body && typeof body === 'object' && !Array.isArray(body) && 'error' in body && (body as { error: number }).error !== 0) {
      throw new ApiError(method, body as Record<string, unknown>);
    }
    return body as T;
  }

  /** kill -9 and wait for the exit (bounded). */
  async kill9(): Promise<void> {
    if (!this.running) return;
    this.child!.kill('SIGKILL');
    await this.waitExit(15_000);
  }

  /** Clean stop through the API's `shutdown`, SIGKILL if it takes longer than graceMs. Resolves to the exit code. */
  async stop(graceMs = 20_000): Promise<number | null> {
    if (!this.running) return this.exitCode;
    await this.api('shutdown').catch(() => this.child?.kill('SIGTERM'));
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), graceMs);
    try {
      return await this.waitExit(graceMs + 10_000);
    } finally {
      clearTimeout(timer);
    }
  }

  async waitExit(ms: number): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${this.name} did not exit within ${ms} ms`)), ms);
    });
    try {
      return await Promise.race([this.exitP, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** stdout + stderr so far (tail), for failure messages. */
  output(): string {
    return `--- ${this.name} stdout ---\n${this.out}\n--- ${this.name} stderr ---\n${this.err}`;
  }

  get stderr(): string {
    return this.err;
  }

  // ---- API shorthands

  async folders(secret?: string): Promise<FolderRow[]> {
    return this.api<FolderRow[]>('get_folders', secret ? { secret } : {});
  }

  async folder(secret: string): Promise<FolderRow> {
    const list = await this.folders(secret);
    if (list.length !== 1) throw new Error(`${this.name}: get_folders returned ${list.length} folders`);
    return list[0]!;
  }

  async peers(secret: string): Promise<PeerRow[]> {
    return this.api<PeerRow[]>('get_folder_peers', { secret });
  }

  /** add_folder + set_folder_hosts. */
  async share(dir: string, secret: string, hosts: string[]): Promise<void> {
    await this.api('add_folder', { dir, secret });
    await this.api('set_folder_hosts', { secret, hosts: hosts.join(',') });
  }
}

/** A get_folders row: the contract's FolderInfo, as the HTTP API returns it. */
export type FolderRow = FolderInfo;

export interface PeerRow {
  id: string;
  name: string;
  address: string;
  bytes_in: number;
  bytes_out: number;
  download: number;
  upload: number;
}

function keepTail(s: string): string {
  return s.length > 200_000 ? s.slice(-100_000) : s;
}

/** Make a daemon with fresh ports in `sandbox`, its home under `root`. */
export async function makeDaemon(sandbox: Sandbox, root: string, name: string, extra?: Record<string, unknown>, env?: NodeJS.ProcessEnv): Promise<Daemon> {
  return new Daemon({
    sandbox,
    name,
    home: path.join(root, name),
    listeningPort: await sandbox.port(),
    apiPort: await sandbox.port(),
    extra,
    env,
  });
}

/** Stop every daemon (SIGKILL: cleanup must be quick and bounded) and destroy the sandbox. */
export async function cleanupDaemons(daemons: Array<Daemon | undefined>, sandbox?: Sandbox): Promise<void> {
  await Promise.all(daemons.map((d) => d?.kill9().catch(() => undefined)));
  sandbox?.destroy();
}
