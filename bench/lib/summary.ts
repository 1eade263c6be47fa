/**
 * Side-by-side summary of the Syncthing anchor and Shoal runs: reads their captured stdout,
 * pairs RESULT lines by scenario, prints both lines and the ratio Shoal / Syncthing.
 *
 *   node --import tsx bench/lib/summary.ts SYNCTHING_OUT[,MORE...] SHOAL_OUT[,MORE...]
 *
 * Either file may be missing or empty (that side then shows as "-"). With several runs per
 * side (BENCH_REPS in run.sh) each scenario shows its median run - the run whose time is the
 * median, so its note (bytes, memory) is that run's own - and the times of all runs.
 */
import fs from 'node:fs';
import { pathToFileURL } from 'node:url';

export interface Result {
  name: string;
  secs: number;
  rate: number | null;
  note: string;
  line: string;
  /** Times of every run of this scenario, in run order (one entry without repetitions). */
  runs: number[];
}

const RESULT_RE = /^RESULT\s+(\S+)\s+(\S+)\s+s\s+(\S+)\s+MB\/s\s*(.*)$/;

export interface Parsed {
  results: Map<string, Result>;
  /** NETCHECK / RSS / header lines worth repeating. */
  extras: string[];
}

export function parseOutput(text: string): Parsed {
  const results = new Map<string, Result>();
  const extras: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    const m = RESULT_RE.exec(line);
    if (m) {
      // the anchor repeats all RESULT lines in its summary: the first one wins (identical)
      if (!results.has(m[1])) {
        const rate = Number(m[3]);
        const secs = Number(m[2]);
        results.set(m[1], { name: m[1], secs, rate: Number.isFinite(rate) ? rate : null, note: m[4], line, runs: [secs] });
      }
    } else if (/^NETCHECK:|RSS after|^== (syncthing|shoal)-pair|^ {3}(syncthing|shoal|kernel|network:|BIG_MIB)/.test(line)) {
      extras.push(line.trim());
    }
  }
  return { results, extras };
}

/**
 * Several runs of one product as one: per scenario the median run (for an even count the
 * faster of the two middle ones), with every run's time in `runs`; extras of the first run.
 * Runs that failed a scenario (no RESULT, or a time that is not a number) are left out of it.
 */
export function mergeRuns(texts: readonly string[]): Parsed {
  const parsed = texts.map(parseOutput);
  const names = new Set(parsed.flatMap((p) => [...p.results.keys()]));
  const results = new Map<string, Result>();
  for (const name of names) {
    const all = parsed.map((p) => p.results.get(name)).filter((r): r is Result => !!r && Number.isFinite(r.secs));
    if (all.length === 0) continue;
    const sorted = [...all].sort((a, b) => a.secs - b.secs);
    const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
    results.set(name, { ...median, runs: all.map((r) => r.secs) });
  }
  return { results, extras: parsed[0]?.extras ?? [] };
}

/** Scenario order; Shoal has one S3 (its default settings), the anchor one per fsWatcherDelayS. */
const ORDER = [
  'B_cp_1file',
  'B_cp_sync_1file',
  'B_sha256sum',
  'B_b2sum',
  'B_tcp_loopback',
  'S1_initial_large',
  'S2_initial_small',
  'S3_latency',
  'S4_delta_insert',
  'S4b_delta_insert_unaligned',
  'S5_scan_hash',
];

/** Bytes B received, from a note ("B rx 123 B"). */
export function rxBytes(note: string): number | null {
  const m = /B rx (\d+) B/.exec(note);
  return m ? Number(m[1]) : null;
}

function ratio(shoal: number, st: number): string {
  if (!(st > 0) || !Number.isFinite(shoal)) return '-';
  const r = shoal / st;
  return r >= 100 ? `${r.toFixed(0)}x` : r >= 10 ? `${r.toFixed(1)}x` : `${r.toFixed(2)}x`;
}

function verdict(shoal: number, st: number): string {
  if (!(st > 0)) return '';
  const r = shoal / st;
  if (r < 0.95) return `Shoal ${(1 / r).toFixed(2)}x faster`;
  if (r > 1.05) return `Shoal ${r.toFixed(2)}x slower`;
  return 'about equal';
}

const pad = (s: string, n: number): string => s.padEnd(n);
const lpad = (s: string, n: number): string => s.padStart(n);
const fmtS = (r: Result | undefined): string => (r ? r.secs.toFixed(3) : '-');
const fmtR = (r: Result | undefined): string => (r?.rate != null ? r.rate.toFixed(1) : '-');

/** Pairs for the table: [label, syncthing result, shoal result]. */
function pairs(st: Map<string, Result>, sh: Map<string, Result>): [string, Result | undefined, Result | undefined][] {
  const out: [string, Result | undefined, Result | undefined][] = [];
  const seen = new Set<string>();
  for (const name of ORDER) {
    if (name === 'S3_latency') {
      const stS3 = [...st.keys()].filter((n) => n.startsWith('S3_latency'));
      for (const n of stS3) (out.push([`S3_latency (vs ${n})`, st.get(n), sh.get(name)]), seen.add(n));
      if (stS3.length === 0) out.push([name, undefined, sh.get(name)]);
      seen.add(name);
      continue;
    }
    out.push([name, st.get(name), sh.get(name)]);
    seen.add(name);
  }
  for (const n of new Set([...st.keys(), ...sh.keys()])) if (!seen.has(n)) out.push([n, st.get(n), sh.get(n)]);
  return out;
}

const runsOf = (r: Result | undefined): string => (r && r.runs.length > 1 ? ` [median of ${r.runs.length} runs: ${r.runs.map((s) => s.toFixed(3)).join(' ')} s]` : '');

export function renderSummary(stTexts: string | readonly string[], shTexts: string | readonly string[]): string {
  const st = mergeRuns(typeof stTexts === 'string' ? [stTexts] : stTexts);
  const sh = mergeRuns(typeof shTexts === 'string' ? [shTexts] : shTexts);
  const L: string[] = [];
  L.push('== side by side: Syncthing anchor vs Shoal (MB = 10^6 bytes; ratio = Shoal time / Syncthing time, < 1 = Shoal faster)');
  for (const [label, a, b] of pairs(st.results, sh.results)) {
    L.push('', `-- ${label}`);
    L.push(`   syncthing: ${a ? a.line + runsOf(a) : '-'}`);
    L.push(`   shoal:     ${b ? b.line + runsOf(b) : '-'}`);
    if (a && b) {
      let r = `   ratio:     time ${ratio(b.secs, a.secs)} (${verdict(b.secs, a.secs)})`;
      const ra = rxBytes(a.note);
      const rb = rxBytes(b.note);
      if (ra !== null && rb !== null) r += `; bytes B received ${ratio(rb, ra)} (${rb} vs ${ra} B)`;
      L.push(r);
    }
  }
  L.push('', '== compact');
  L.push(`${pad('scenario', 44)}${lpad('syncthing s', 12)}${lpad('shoal s', 12)}${lpad('ratio', 9)}${lpad('st MB/s', 10)}${lpad('shoal MB/s', 12)}`);
  for (const [label, a, b] of pairs(st.results, sh.results)) {
    const r = a && b ? ratio(b.secs, a.secs) : '-';
    L.push(`${pad(label, 44)}${lpad(fmtS(a), 12)}${lpad(fmtS(b), 12)}${lpad(r, 9)}${lpad(fmtR(a), 10)}${lpad(fmtR(b), 12)}`);
  }
  const ex = [...st.extras.map((l) => `syncthing| ${l}`), ...sh.extras.map((l) => `shoal    | ${l}`)];
  if (ex.length) L.push('', '== environment, memory, net checks', ...ex);
  return L.join('\n');
}

function readOr(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** The captured outputs named by a comma-separated list of files (missing ones read as empty). */
function readList(list: string | undefined): string[] {
  return (list ?? '').split(',').filter(Boolean).map(readOr);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(renderSummary(readList(process.argv[2]), readList(process.argv[3])) + '\n');
}
