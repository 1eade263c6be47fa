import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultConfig, type DaemonConfig } from '../../engine/daemon/config.js';
import { MemoryLogger } from '../../engine/daemon/log.js';
import { Engine } from '../../engine/engine.js';
import type { EngineEvents, EventName } from '../../engine/api/contract.js';
import type { FileHasher } from '../../engine/index/scan-entry.js';

/** A temp directory removed by `cleanup()`. */
export function tempDir(prefix = 'shoal-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface TestEngine {
  engine: Engine;
  name: string;
  storage: string;
  log: MemoryLogger;
  port: number;
  events: Array<{ event: EventName; payload: unknown }>;
}

export interface StartOptions {
  name: string;
  storage?: string;
  clock?: () => number;
  config?: Partial<DaemonConfig>;
  /** Hash files through this (wrapping the real hasher), e.g. to hold a hash back. */
  hasher?: FileHasher;
  /** false: an engine from before requests for runs of chunks. */
  chunkRuns?: boolean;
}

/** A real engine on 127.0.0.1 with its own storage dir; LAN discovery off (tests never multicast). */
export async function startEngine(o: StartOptions): Promise<TestEngine> {
  const storage = o.storage ?? tempDir(`shoal-${o.name}-`);
  const base = defaultConfig();
  const config: DaemonConfig = {
    ...base,
    device_name: o.name,
    storage_path: storage,
    listening_port: 0,
    // In-process engines would renice the whole test runner.
    disk_low_priority: false,
    folder_defaults: { ...base.folder_defaults, search_lan: false },
    ...o.config,
  };
  const log = new MemoryLogger();
  const engine = await Engine.create({ config, log, clock: o.clock, listenHost: '127.0.0.1', lan: false, hasher: o.hasher, chunkRuns: o.chunkRuns });
  const events: TestEngine['events'] = [];
  for (const ev of ['fileAdded', 'fileUpdated', 'fileDeleted', 'fileRenamed', 'conflict', 'syncFinished', 'peerConnected', 'peerDisconnected', 'error', 'transferProgress'] as EventName[]) {
    engine.on(ev, (payload: EngineEvents[typeof ev]) => events.push({ event: ev, payload }));
  }
  return { engine, name: o.name, storage, log, port: engine.peers.port, events };
}

/** Share `secret` at `dir` on `t`, pointing it at the other engines' ports. */
export async function share(t: TestEngine, dir: string, secret: string, others: TestEngine[]): Promise<void> {
  await t.engine.call('addFolder', { dir, secret });
  await t.engine.call('setFolderHosts', { secret, hosts: others.map((o) => `127.0.0.1:${o.port}`) });
}

/** Poll `cond` every 25 ms until true; fail with `what` after `ms`. */
export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`Timed out after ${ms} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function readIf(file: string): Buffer | null {
  try {
    return fs.readFileSync(file);
  } catch {
    return null;
  }
}

export function exists(file: string): boolean {
  return fs.existsSync(file);
}

/** Every file under dir (relative, '/'), excluding Shoal's own names. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string): void => {
    for (const ent of fs.readdirSync(d, { withFileTypes: true })) {
      if (ent.name === '.sync' || ent.name === '.SyncArchive' || ent.name.endsWith('.!sync')) continue;
      const r = rel ? `${rel}/${ent.name}` : ent.name;
      if (ent.isDirectory()) {
        out.push(r + '/');
        walk(path.join(d, ent.name), r);
      } else out.push(r);
    }
  };
  walk(dir, '');
  return out.sort();
}

export async function stopAll(list: Array<TestEngine | undefined>): Promise<void> {
  await Promise.all(list.map((t) => t?.engine.close()));
}
