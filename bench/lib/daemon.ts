/**
 * One Shoal daemon for the benchmark: its own home (config, storage, log) under the run's
 * temp root, API and sync listener on free 127.0.0.1 ports, started as
 * `node dist/engine/cli.js --config FILE` (or via tsx), stopped by PID.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ShoalApi } from './api.js';
import { fail, log, now, sleep } from './log.js';
import { assertAlive, spawnTracked, stopTracked, type Tracked } from './proc.js';

export interface Launcher {
  /** 'dist' or 'tsx', for the header. */
  kind: string;
  cmd: string;
  args: string[];
  /** Environment the shebang line sets (`env -S NAME=VALUE ... node`), for the daemon. */
  env: Record<string, string>;
}

/**
 * The environment and node flags the `shoal` command's shebang line gives
 * (`#!/usr/bin/env -S [NAME=VALUE ...] node FLAGS`), so the benchmark runs the daemon
 * exactly as an installed `shoal` runs.
 */
function shebang(file: string): { env: Record<string, string>; nodeArgs: string[] } {
  const first = fs.readFileSync(file, 'utf8').split('\n', 1)[0] ?? '';
  const m = /^#!\/usr\/bin\/env\s+-S\s+(.*)$/.exec(first);
  const words = m ? m[1]!.trim().split(/\s+/) : [];
  const env: Record<string, string> = {};
  let i = 0;
  for (; i < words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i]!); i++) {
    const w = words[i]!;
    env[w.slice(0, w.indexOf('='))] = w.slice(w.indexOf('=') + 1);
  }
  return words[i] === 'node' ? { env, nodeArgs: words.slice(i + 1) } : { env: {}, nodeArgs: [] };
}

/** Pick how to start the daemon: the built dist/engine/cli.js, or engine/cli.ts through tsx. */
export function resolveLauncher(repo: string, want: 'auto' | 'dist' | 'tsx', userArgs: string[], cli: string | null = null): Launcher {
  const sb = shebang(path.join(repo, 'engine/cli.ts'));
  const nodeArgs = [...sb.nodeArgs, ...userArgs];
  const env = sb.env;
  if (cli) {
    const file = path.resolve(repo, cli);
    if (!fs.existsSync(file)) fail(`SHOAL_CLI=${cli}: not found`);
    const ts = /\.[cm]?ts$/.test(file);
    return { kind: `SHOAL_CLI`, cmd: process.execPath, args: [...nodeArgs, ...(ts ? ['--import', 'tsx'] : []), file], env };
  }
  const dist = path.join(repo, 'dist/engine/cli.js');
  const src = path.join(repo, 'engine/cli.ts');
  const kind = want === 'auto' ? (fs.existsSync(dist) ? 'dist' : 'tsx') : want;
  if (kind === 'dist') {
    if (!fs.existsSync(dist)) fail(`${dist} not found: run \`npm run build\` (or SHOAL_DAEMON=tsx)`);
    return { kind, cmd: process.execPath, args: [...nodeArgs, dist], env };
  }
  if (!fs.existsSync(src)) fail(`${src} not found: the daemon has not landed yet`);
  return { kind, cmd: process.execPath, args: [...nodeArgs, '--import', 'tsx', src], env };
}

/** N distinct free TCP ports on 127.0.0.1 (all held open together, then released). */
export async function freePorts(n: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < n; i++) {
      const s = net.createServer();
      servers.push(s);
      await new Promise<void>((res, rej) => {
        s.once('error', rej);
        s.listen(0, '127.0.0.1', () => res());
      });
      ports.push((s.address() as net.AddressInfo).port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function deepMerge(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(extra)) {
    const b = out[k];
    out[k] = isPlainObject(b) && isPlainObject(v) ? deepMerge(b, v) : v;
  }
  return out;
}

export interface DaemonOpts {
  name: string;
  root: string;
  repo: string;
  launcher: Launcher;
  lowPriority: boolean;
  configExtra: Record<string, unknown>;
}

export class ShoalDaemon {
  readonly home: string;
  readonly storage: string;
  readonly configPath: string;
  readonly logPath: string;
  readonly api: ShoalApi;
  private proc: Tracked | null = null;

  private constructor(
    readonly o: DaemonOpts,
    readonly apiPort: number,
    readonly listenPort: number,
  ) {
    this.home = fs.mkdtempSync(path.join(o.root, `home${o.name}.`));
    this.storage = path.join(this.home, 'storage');
    this.configPath = path.join(this.home, 'config.json');
    this.logPath = path.join(this.home, 'daemon.log');
    const password = crypto.randomBytes(12).toString('hex');
    this.api = new ShoalApi(apiPort, 'bench', password);
    // Everything on loopback, nothing that could reach beyond this machine: LAN search, UPnP,
    // tracker, relay and DHT off; peers only through known hosts (set per folder).
    // disk_low_priority mirrors the anchor's LOW_PRIORITY (Syncthing setLowPriority).
    const base: Record<string, unknown> = {
      device_name: o.name,
      listening_port: listenPort,
      bind_address: '127.0.0.1',
      storage_path: this.storage,
      use_upnp: false,
      disk_low_priority: o.lowPriority,
      webui: { listen: `127.0.0.1:${apiPort}`, login: 'bench', password },
      shared_folders: [],
      folder_defaults: { search_lan: false, use_hosts: true, use_tracker: false, use_relay_server: false, use_dht: false },
    };
    fs.mkdirSync(this.storage);
    fs.writeFileSync(this.configPath, JSON.stringify(deepMerge(base, o.configExtra), null, 2) + '\n');
  }

  static async create(o: DaemonOpts): Promise<ShoalDaemon> {
    const [apiPort, listenPort] = await freePorts(2);
    return new ShoalDaemon(o, apiPort, listenPort);
  }

  get name(): string {
    return this.o.name;
  }
  get pid(): number {
    if (!this.proc) fail(`daemon ${this.name} not started`);
    return this.proc.pid;
  }
  /** host:port other daemons use to reach this one. */
  get hostAddr(): string {
    return `127.0.0.1:${this.listenPort}`;
  }

  start(): void {
    const { cmd, args } = this.o.launcher;
    // The shebang's settings, unless the caller's environment sets them (to compare), or
    // SHOAL_SHEBANG_ENV=0 (to measure without them).
    const env = { ...(process.env.SHOAL_SHEBANG_ENV === '0' ? {} : this.o.launcher.env), ...process.env };
    for (const k of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY', 'no_proxy', 'NO_PROXY']) {
      delete env[k];
    }
    this.proc = spawnTracked(`shoal ${this.name}`, cmd, [...args, '--config', this.configPath], {
      cwd: this.o.repo,
      logFile: this.logPath,
      env,
    });
    log(`started shoal ${this.name} pid=${this.proc.pid} api=127.0.0.1:${this.apiPort} listen=127.0.0.1:${this.listenPort}`);
  }

  /** Throws when the daemon process has exited unexpectedly. */
  checkAlive(): void {
    if (this.proc) assertAlive(this.proc);
  }

  /** Wait until the API answers (get_folders), bounded. Returns seconds waited. */
  async waitReady(timeoutS: number): Promise<number> {
    const t0 = now();
    let last = '';
    for (;;) {
      this.checkAlive();
      try {
        await this.api.getFolders();
        return now() - t0;
      } catch (e) {
        last = (e as Error).message;
      }
      if (now() - t0 > timeoutS) fail(`shoal ${this.name}: API not ready after ${timeoutS} s (${last})`);
      await sleep(100);
    }
  }

  async stop(): Promise<void> {
    this.api.close();
    if (this.proc) await stopTracked(this.proc);
  }

  /** Last lines of the daemon's stdout/stderr and of storage/sync.log, for failure reports. */
  tails(n = 25): string {
    const out: string[] = [];
    for (const f of [this.logPath, path.join(this.storage, 'sync.log')]) {
      try {
        const lines = fs.readFileSync(f, 'utf8').trimEnd().split('\n').slice(-n);
        out.push(`--- tail ${f}`, ...lines);
      } catch {
        /* missing */
      }
    }
    return out.join('\n');
  }
}
