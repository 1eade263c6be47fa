/**
 * Benchmark knobs: the same environment variables (names and defaults) as
 * ../shared/bench/syncthing-pair.sh wherever they apply, so one environment drives both.
 */
import { fail } from './log.js';

export interface Knobs {
  quick: boolean;
  bigMib: number;
  smallCount: number;
  smallMinKib: number;
  smallMaxKib: number;
  seed: number;
  latReps: number;
  latPollMs: number;
  latSize: number;
  latTimeoutS: number;
  s4InsertBytes: number;
  s4bInsertBytes: number;
  /** 'scan': call rescan_folder on A right after the change (falls back to the watcher if
   * the daemon has no such method); 'watch': rely on the watcher only. */
  s4Trigger: 'scan' | 'watch';
  tcpMib: number;
  pollMs: number;
  timeoutS: number;
  lowPriority: boolean;
  netns: 'auto' | '1' | '0';
  tmpParent: string;
  keep: boolean;
  trace: boolean;
  /** 'auto' (dist if built, else tsx), 'dist' or 'tsx'. */
  daemon: 'auto' | 'dist' | 'tsx';
  /** Explicit daemon entry file (.js run by node, .ts through tsx); overrides `daemon`. */
  cli: string | null;
  /** Extra node flags for the daemon processes (space separated). */
  nodeArgs: string[];
  /** JSON object merged (deeply) into every daemon config. */
  configExtra: Record<string, unknown>;
  /**
   * BENCH_ONLY: the parts to run (S1 S2 S3 S4 S5 B, comma or space separated; S4 covers
   * S4b). S3 needs S2's folder and S4 needs S1's, so those come along. Unset: everything.
   */
  only: ReadonlySet<string>;
}

export const PARTS = ['B', 'S1', 'S2', 'S3', 'S4', 'S5'] as const;

function parts(raw: string | undefined): ReadonlySet<string> {
  if (raw === undefined || raw.trim() === '') return new Set(PARTS);
  const want = new Set(raw.toUpperCase().split(/[\s,]+/).filter(Boolean));
  for (const p of want) if (!(PARTS as readonly string[]).includes(p)) fail(`BENCH_ONLY=${raw}: unknown part ${p} (expected ${PARTS.join(' ')})`);
  if (want.has('S3')) want.add('S2');
  if (want.has('S4')) want.add('S1');
  return want;
}

function int(name: string, def: number, min = 0): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return def;
  const v = Number(raw);
  if (!Number.isSafeInteger(v) || v < min) fail(`${name}=${raw}: expected an integer >= ${min}`);
  return v;
}

function oneOf<T extends string>(name: string, def: T, allowed: readonly T[]): T {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return def;
  if (!(allowed as readonly string[]).includes(raw)) fail(`${name}=${raw}: expected one of ${allowed.join(', ')}`);
  return raw as T;
}

export function readKnobs(): Knobs {
  const quick = process.env.BENCH_QUICK === '1';
  let configExtra: Record<string, unknown> = {};
  const extra = process.env.SHOAL_CONFIG_EXTRA;
  if (extra) {
    try {
      const v: unknown = JSON.parse(extra);
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
      configExtra = v as Record<string, unknown>;
    } catch (e) {
      fail(`SHOAL_CONFIG_EXTRA is not a JSON object: ${(e as Error).message}`);
    }
  }
  const k: Knobs = {
    quick,
    bigMib: int('BIG_MIB', quick ? 64 : 1024, 1),
    smallCount: int('SMALL_COUNT', quick ? 500 : 10000, 1),
    smallMinKib: int('SMALL_MIN_KIB', 1),
    smallMaxKib: int('SMALL_MAX_KIB', 16),
    seed: int('SEED', 42),
    latReps: int('LAT_REPS', 5),
    latPollMs: int('LAT_POLL_MS', 5, 1),
    latSize: int('LAT_SIZE', 4096),
    latTimeoutS: int('LAT_TIMEOUT_S', 120, 1),
    s4InsertBytes: int('S4_INSERT_BYTES', 1048576),
    s4bInsertBytes: int('S4B_INSERT_BYTES', 1000001),
    s4Trigger: oneOf('S4_TRIGGER', 'scan', ['scan', 'watch'] as const),
    tcpMib: int('TCP_MIB', 1024, 1),
    pollMs: int('POLL_MS', 50, 1),
    timeoutS: int('TIMEOUT_S', 1200, 1),
    lowPriority: int('LOW_PRIORITY', 0) !== 0,
    netns: oneOf('BENCH_NETNS', 'auto', ['auto', '1', '0'] as const),
    tmpParent: process.env.BENCH_TMPDIR || process.env.TMPDIR || '/tmp',
    keep: process.env.KEEP === '1',
    trace: process.env.TRACE === '1',
    daemon: oneOf('SHOAL_DAEMON', 'auto', ['auto', 'dist', 'tsx'] as const),
    cli: process.env.SHOAL_CLI || null,
    nodeArgs: (process.env.SHOAL_NODE_ARGS ?? '').split(/\s+/).filter(Boolean),
    configExtra,
    only: parts(process.env.BENCH_ONLY),
  };
  if (k.smallMaxKib < k.smallMinKib) fail('SMALL_MAX_KIB < SMALL_MIN_KIB');
  return k;
}
