/**
 * Completion detection over the API (the Shoal counterparts of the helper's wait-sync,
 * wait-idle, lat-probe and conn-bytes). Every wait is bounded and fails fast when a daemon
 * process dies.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import type { FolderStatus } from './api.js';
import type { ShoalDaemon } from './daemon.js';
import { fail, log, now, sleep } from './log.js';
import { assertAllAlive } from './proc.js';

export interface Expect {
  files: number;
  bytes: number;
  /** Directory count: accepted as part of `files` too, in case the daemon counts folders. */
  dirs: number;
}

/** files/size as expected and not indexing. */
function complete(f: FolderStatus, e: Expect): boolean {
  return f.indexing === 0 && (f.files === e.files || f.files === e.files + e.dirs) && f.size === e.bytes;
}

const brief = (f: FolderStatus | undefined): string =>
  f ? `files=${f.files} size=${f.size} indexing=${f.indexing} down=${f.down_bytes} up=${f.up_bytes} error=${f.error}` : '-';

export interface SyncOpts {
  t0: number;
  pollMs: number;
  timeoutS: number;
  trace: boolean;
  /** Extra on-disk condition on B (checked only once the API says done). */
  diskOk?: () => boolean;
  /** Also record when B first lists a peer for the folder. */
  watchPeer?: boolean;
}

export interface SyncResult {
  elapsed: number;
  /** When A first reported the expected content, indexing done (s after t0). */
  scanDone: number;
  /** When B first listed a peer for this folder (s after t0), if watched. */
  peerAt: number | null;
  /** Polls where the API said done but the on-disk check did not agree yet. */
  diskLag: number;
}

/**
 * Until A has indexed the expected content and B is in sync: B not indexing, down_bytes 0,
 * expected files/size, and (optionally) the on-disk check passes.
 */
export async function waitSync(a: ShoalDaemon, b: ShoalDaemon, secret: string, e: Expect, o: SyncOpts): Promise<SyncResult> {
  let scanDone: number | null = null;
  let peerAt: number | null = null;
  let diskLag = 0;
  let sa: FolderStatus | undefined;
  let sb: FolderStatus | undefined;
  let last = '';
  for (;;) {
    assertAllAlive();
    sa = await a.api.getFolder(secret);
    sb = await b.api.getFolder(secret);
    const t = now();
    if (o.watchPeer && peerAt === null && (await b.api.getFolderPeers(secret)).length > 0) peerAt = t - o.t0;
    if (o.trace) {
      const cur = `A=${sa.indexing}/${sa.files}/${sa.size} B=${sb.indexing}/${sb.files}/${sb.down_bytes >> 26}`;
      if (cur !== last) log(`  trace +${(t - o.t0).toFixed(3)}s A{${brief(sa)}} B{${brief(sb)}}`);
      last = cur;
    }
    const aOk = complete(sa, e);
    if (aOk && scanDone === null) scanDone = t - o.t0;
    if (aOk && complete(sb, e) && sb.down_bytes === 0) {
      if (!o.diskOk || o.diskOk()) return { elapsed: t - o.t0, scanDone: scanDone!, peerAt, diskLag };
      diskLag++;
    }
    if (t - o.t0 > o.timeoutS) fail(`wait-sync timeout after ${o.timeoutS} s; A{${brief(sa)}} B{${brief(sb)}}`);
    await sleep(o.pollMs);
  }
}

/** Until one daemon has indexed a folder (S5). */
export async function waitIndexed(d: ShoalDaemon, secret: string, e: Expect, o: SyncOpts): Promise<number> {
  let s: FolderStatus | undefined;
  let last = '';
  for (;;) {
    assertAllAlive();
    s = await d.api.getFolder(secret);
    const t = now();
    if (o.trace) {
      const cur = `${s.indexing}/${s.files >> 8}`;
      if (cur !== last) log(`  trace +${(t - o.t0).toFixed(3)}s ${d.name}{${brief(s)}}`);
      last = cur;
    }
    if (complete(s, e)) return t - o.t0;
    if (t - o.t0 > o.timeoutS) fail(`wait-indexed timeout after ${o.timeoutS} s; ${d.name}{${brief(s)}}`);
    await sleep(o.pollMs);
  }
}

/** Until A and B agree and neither is busy (the helper's both_idle). */
export async function bothIdle(a: ShoalDaemon, b: ShoalDaemon, secret: string, timeoutS: number): Promise<void> {
  const t0 = now();
  for (;;) {
    assertAllAlive();
    const sa = await a.api.getFolder(secret);
    const sb = await b.api.getFolder(secret);
    if (sa.indexing === 0 && sb.indexing === 0 && sa.down_bytes === 0 && sb.down_bytes === 0 && sa.files === sb.files && sa.size === sb.size) {
      return;
    }
    if (now() - t0 > timeoutS) fail(`instances did not settle within ${timeoutS} s; A{${brief(sa)}} B{${brief(sb)}}`);
    await sleep(50);
  }
}

/** Cumulative wire bytes received by `d` from the folder's peers (null if the API lacks bytes_in). */
export async function peerBytesIn(d: ShoalDaemon, secret: string): Promise<Map<string, number> | null> {
  const peers = await d.api.getFolderPeers(secret);
  const m = new Map<string, number>();
  for (const p of peers) {
    if (typeof p.bytes_in !== 'number') return null;
    m.set(p.id, (m.get(p.id) ?? 0) + p.bytes_in);
  }
  return m;
}

/** Per peer id: the largest bytes_in seen under any folder of `d` (baseline before a new folder). */
export async function peerBytesBaseline(d: ShoalDaemon): Promise<Map<string, number>> {
  const base = new Map<string, number>();
  for (const f of await d.api.getFolders()) {
    const m = await peerBytesIn(d, f.secret).catch(() => null);
    for (const [id, v] of m ?? []) base.set(id, Math.max(base.get(id) ?? 0, v));
  }
  return base;
}

/**
 * Bytes received since `before`, summed over peers. A counter below its baseline means a new
 * connection (per-folder connections, or a reconnect): its whole count is used then.
 */
export function rxDelta(before: Map<string, number>, after: Map<string, number> | null): { bytes: number | null; reset: boolean } {
  if (after === null) return { bytes: null, reset: false };
  let bytes = 0;
  let reset = false;
  for (const [id, v] of after) {
    const b = before.get(id) ?? 0;
    if (v < b) reset = true;
    bytes += v >= b ? v - b : v;
  }
  return { bytes, reset };
}

export interface LatResult {
  all: number[];
  median: number;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * The helper's lat-probe: per rep wait until both are idle, settle 1 s, rewrite A's file in
 * place (`rep i t=...\n` + size random bytes, write + truncate), then read B's file every
 * pollMs until it has exactly the new content.
 */
export async function latencyProbe(
  a: ShoalDaemon,
  b: ShoalDaemon,
  secret: string,
  aFile: string,
  bFile: string,
  o: { reps: number; pollMs: number; size: number; timeoutS: number; settleS?: number },
): Promise<LatResult> {
  const all: number[] = [];
  for (let i = 0; i < o.reps; i++) {
    await bothIdle(a, b, secret, o.timeoutS);
    await sleep((o.settleS ?? 1) * 1000);
    const content = Buffer.concat([Buffer.from(`rep ${i} t=${(Date.now() / 1000).toFixed(6)}\n`), crypto.randomBytes(o.size)]);
    const t0 = now();
    const fd = fs.openSync(aFile, 'r+');
    try {
      fs.writeSync(fd, content, 0, content.length, 0);
      fs.ftruncateSync(fd, content.length);
    } finally {
      fs.closeSync(fd);
    }
    for (;;) {
      let same = false;
      try {
        same = (await fs.promises.readFile(bFile)).equals(content);
      } catch {
        same = false;
      }
      const t = now();
      if (same) {
        all.push(t - t0);
        break;
      }
      if (t - t0 > o.timeoutS) fail(`lat-probe timeout on rep ${i}`);
      assertAllAlive();
      await sleep(o.pollMs);
    }
  }
  return { all, median: median(all) };
}
