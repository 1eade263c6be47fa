/**
 * Indexing speed on this machine: raw hash functions, the chunker, and hashFile end to end.
 *
 *   node --import tsx bench/hash-speed.ts [--file-mib 1024] [--files 5000]
 *
 * MB/s are 10^6 bytes per second, best of a few runs. The file benchmark writes a random
 * file in os.tmpdir() and removes it afterwards; the file is in the page cache, so this
 * measures CPU cost (disk speed is another matter).
 */
import { createHash, randomFillSync } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sodium from 'sodium-native';
import { chunkHash } from '../engine/index/chunk-hash.js';
import { ChunkHasher } from '../engine/index/chunk-hasher.js';
import { Chunker, AVG_CHUNK } from '../engine/index/chunker.js';
import { hashFile } from '../engine/index/hasher.js';
import { IgnoreRules } from '../engine/index/ignore.js';
import { scanFolder } from '../engine/index/scanner.js';

const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const FILE_MIB = arg('file-mib', 1024);
const SMALL_FILES = arg('files', 5000);
const MEM_MIB = 256;
const RUNS = 3;

function mbps(bytes: number, ms: number): string {
  return `${((bytes / 1e6) / (ms / 1000)).toFixed(0).padStart(6)} MB/s`;
}

function best(fn: () => void): number {
  let min = Infinity;
  for (let r = 0; r < RUNS; r++) {
    const t = performance.now();
    fn();
    min = Math.min(min, performance.now() - t);
  }
  return min;
}

function randomBuffer(n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let o = 0; o < n; o += 1 << 24) randomFillSync(b, o, Math.min(1 << 24, n - o));
  return b;
}

function line(label: string, bytes: number, ms: number, extra = ''): void {
  console.log(`${label.padEnd(44)} ${mbps(bytes, ms)}${extra}`);
}

async function memoryBenchmarks(): Promise<void> {
  const data = randomBuffer(MEM_MIB << 20);
  const out = Buffer.alloc(32);
  const perChunk = (f: (chunk: Buffer) => void) => () => {
    for (let o = 0; o < data.length; o += AVG_CHUNK) f(data.subarray(o, o + AVG_CHUNK));
  };
  console.log(`In memory, ${MEM_MIB} MiB of random data, ${AVG_CHUNK / 1024} KiB pieces:`);
  line('  chunk hash (BLAKE3-256, chunk-hash.ts)', data.length, best(perChunk((c) => chunkHash(c))));
  line('  sodium BLAKE2b-256', data.length, best(perChunk((c) => sodium.crypto_generichash(out, c))));
  line('  node:crypto blake2b512', data.length, best(perChunk((c) => createHash('blake2b512').update(c).digest())));
  line('  node:crypto sha256', data.length, best(perChunk((c) => createHash('sha256').update(c).digest())));
  line('  chunker (gear hash, cut points only)', data.length, best(() => {
    const ch = new Chunker();
    let start = 0;
    let cut: number;
    while ((cut = ch.next(data, start)) >= 0) start = cut;
  }));
  line('  chunker + chunk hash (ChunkHasher)', data.length, best(() => {
    const h = new ChunkHasher();
    for (let o = 0; o < data.length; o += 4 << 20) h.push(data.subarray(o, o + (4 << 20)));
    h.finish();
  }));
}

async function fileBenchmark(dir: string): Promise<void> {
  const file = path.join(dir, 'big.bin');
  const fh = await fs.open(file, 'w');
  const block = Buffer.allocUnsafe(8 << 20);
  for (let i = 0; i < FILE_MIB / 8; i++) {
    randomFillSync(block);
    await fh.write(block);
  }
  await fh.close();
  console.log(`hashFile on a ${FILE_MIB} MiB file (page cache):`);
  const baseRss = process.memoryUsage().rss;
  let peakRss = baseRss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
  for (let r = 0; r < 2; r++) {
    const t = performance.now();
    const res = await hashFile(file);
    const ms = performance.now() - t;
    line(`  run ${r + 1}: ${res.chunks.length} chunks`, res.size, ms);
  }
  clearInterval(sampler);
  const mib = (n: number) => (n / 2 ** 20).toFixed(0);
  console.log(`  RSS: ${mib(baseRss)} MiB before (node + tsx), peak ${mib(peakRss)} MiB, +${mib(peakRss - baseRss)} MiB for hashing`);
  await fs.rm(file);
}

async function smallFilesBenchmark(dir: string): Promise<void> {
  const root = path.join(dir, 'small');
  const content = randomBuffer(4096);
  for (let d = 0; d < SMALL_FILES / 100; d++) {
    await fs.mkdir(path.join(root, `d${d}`), { recursive: true });
    await Promise.all(Array.from({ length: 100 }, (_, i) => fs.writeFile(path.join(root, `d${d}`, `f${i}.bin`), content)));
  }
  const rules = IgnoreRules.parse('');
  const prev = new Map<string, { size: number; mtimeMs: number; ino: number }>();
  let t = performance.now();
  const first = await scanFolder({ root, rules, previous: () => undefined, onResult: (r) => void prev.set(r.entry.path, r.entry) });
  let ms = performance.now() - t;
  console.log(`scanFolder, ${SMALL_FILES} files of 4 KiB:`);
  console.log(`  first scan (hash everything)            ${(first.hashed / (ms / 1000)).toFixed(0).padStart(6)} files/s`);
  t = performance.now();
  const again = await scanFolder({ root, rules, previous: (p) => prev.get(p), onResult: () => undefined });
  ms = performance.now() - t;
  console.log(`  rescan, nothing changed (stat only)      ${(again.seen / (ms / 1000)).toFixed(0).padStart(6)} entries/s`);
}

async function main(): Promise<void> {
  console.log(`node ${process.version}, ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? ''}`);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'shoal-bench-'));
  try {
    await fileBenchmark(dir); // first, so its RSS figure is not inflated by the buffers below
    await smallFilesBenchmark(dir);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
  await memoryBenchmarks();
}

await main();
