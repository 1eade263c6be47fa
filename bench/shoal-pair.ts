/**
 * shoal-pair.ts -- Shoal's side of the performance comparison: two Shoal daemons on this
 * machine syncing over loopback, plus the same physical baselines, printed as the same
 * `RESULT` lines (names, units, notes) as ../shared/bench/syncthing-pair.sh so the two can be
 * read side by side (bench/run.sh does that).
 *
 * Everything binds/talks to 127.0.0.1: API and sync listeners on free 127.0.0.1 ports, peers
 * introduced per folder with set_folder_hosts 127.0.0.1:PORT, LAN search / UPnP / tracker /
 * relay / DHT off in the config. When run as root the whole benchmark re-executes itself in
 * a fresh network namespace with only `lo` (BENCH_NETNS=0 skips that). All data lives in a
 * `mktemp -d` tree removed at exit (KEEP=1 keeps it); daemons are stopped by PID (TERM, then
 * KILL after 15 s) on every exit path.
 *
 * Usage:  node --import tsx bench/shoal-pair.ts      (normally via `npm run bench`)
 * Knobs:  the anchor's BIG_MIB SMALL_COUNT SMALL_MIN_KIB SMALL_MAX_KIB SEED LAT_REPS
 *         LAT_POLL_MS [5 here] LAT_SIZE S4_INSERT_BYTES S4B_INSERT_BYTES S4_TRIGGER TCP_MIB
 *         POLL_MS TIMEOUT_S LOW_PRIORITY BENCH_NETNS BENCH_TMPDIR KEEP TRACE, plus
 *         BENCH_QUICK=1 (BIG_MIB=64 SMALL_COUNT=500), LAT_TIMEOUT_S [120],
 *         SHOAL_DAEMON [auto|dist|tsx], SHOAL_CLI (daemon entry file), SHOAL_NODE_ARGS,
 *         SHOAL_SHEBANG_ENV=0 (without the environment engine/cli.ts's shebang sets), SHOAL_CONFIG_EXTRA (JSON merged
 *         into each daemon's config), BENCH_ONLY (parts to run: S1 S2 S3 S4 S5 B; e.g.
 *         BENCH_ONLY=S5 for the indexing scenario alone).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileBaselines, syncDisks, tcpLoopback, timed } from './lib/baselines.js';
import { installSignalHandlers, isClosing, onCleanup, runCleanup } from './lib/cleanup.js';
import { ShoalDaemon, resolveLauncher, type Launcher } from './lib/daemon.js';
import { genRandomFile, genSmall, writeWithInsert } from './lib/gendata.js';
import { readKnobs, type Knobs } from './lib/knobs.js';
import { errText, fail, log, now, sleep } from './lib/log.js';
import { maybeReexecInNetns, netnsNote } from './lib/netns.js';
import { cpuPair, cpuText, findRepo, fsType, memLine, packageVersion, rxText } from './lib/notes.js';
import { assertAllAlive, netcheck, readCpuSeconds, readMem, run } from './lib/proc.js';
import { Results, f3, mbps, mibFromKb, say } from './lib/report.js';
import { sizesMatch, treeHash } from './lib/treehash.js';
import { latencyProbe, peerBytesBaseline, peerBytesIn, rxDelta, waitIndexed, waitSync, type Expect } from './lib/wait.js';

const MiB = 1048576;
const LAT_FILE = 'd00/s0/f00000.bin';

/** Daemons started so far (their log tails are printed when the run fails). */
const started: ShoalDaemon[] = [];
let problems = 0;

/** Hash B's tree outside the timed section; a mismatch is re-checked for a while (an "in
 * sync" reported before the files were final) and then fails the run. */
async function verify(name: string, dir: string, expected: string): Promise<{ ok: string; secs: number }> {
  const h = await treeHash(dir);
  if (h.digest === expected) return { ok: 'ok', secs: h.secs };
  log(`${name}: B's tree does not match yet (${h.files} files, ${h.bytes} B); re-checking`);
  const t0 = now();
  while (now() - t0 < 30) {
    await sleep(1000);
    const again = await treeHash(dir);
    if (again.digest === expected) {
      problems++;
      const late = now() - t0 + again.secs;
      log(`${name}: WARNING: API reported in sync ~${f3(late)} s before the files on disk matched`);
      return { ok: `LATE(+${f3(late)}s after API said in sync)`, secs: h.secs };
    }
  }
  fail(`${name} verification failed (tree-hash mismatch)`);
}

async function share(d: ShoalDaemon, dir: string, secret: string, peer: ShoalDaemon | null): Promise<void> {
  await d.api.addFolder(dir, secret);
  if (peer) await d.api.setFolderHosts(secret, [peer.hostAddr]);
}

async function startDaemon(name: string, root: string, repo: string, launcher: Launcher, k: Knobs): Promise<ShoalDaemon> {
  const d = await ShoalDaemon.create({ name, root, repo, launcher, lowPriority: k.lowPriority, configExtra: k.configExtra });
  d.start();
  started.push(d);
  return d;
}

async function main(k: Knobs): Promise<number> {
  installSignalHandlers();
  for (const v of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY', 'no_proxy', 'NO_PROXY']) {
    delete process.env[v];
  }
  const repo = findRepo();
  const launcher = resolveLauncher(repo, k.daemon, k.nodeArgs, k.cli);
  const root = fs.mkdtempSync(path.join(k.tmpParent, 'shoalpair.'));
  onCleanup('temp dir', () => {
    if (k.keep) log(`kept ${root}`);
    else fs.rmSync(root, { recursive: true, force: true });
  });
  const mk = (name: string): string => fs.mkdtempSync(path.join(root, `${name}.`));
  const R = new Results();
  const T_START = now();
  const BIG = k.bigMib * MiB;
  const poll = { pollMs: k.pollMs, timeoutS: k.timeoutS, trace: k.trace };
  const readyS = Math.min(120, k.timeoutS);

  // ------------------------------------------------------------------ header
  say(`== shoal-pair benchmark  ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}`);
  const shown = launcher.args.map((a) => (a.startsWith(repo + path.sep) ? path.relative(repo, a) : a)).join(' ');
  const envShown = process.env.SHOAL_SHEBANG_ENV === '0' ? '' : Object.entries(launcher.env).map(([k, v]) => `${k}=${v} `).join('');
  say(`   shoal ${packageVersion(repo)} (daemon: ${launcher.kind}: ${envShown}node ${shown}), node ${process.version}`);
  say(
    `   kernel ${os.release()}, ${os.cpus().length} cpus, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, tmp=${root} (${await fsType(root)})`,
  );
  say(`   network: ${netnsNote()}`);
  say(
    `   BIG_MIB=${k.bigMib} SMALL_COUNT=${k.smallCount} (${k.smallMinKib}-${k.smallMaxKib} KiB) SEED=${k.seed} LAT_REPS=${k.latReps} LAT_POLL_MS=${k.latPollMs} ` +
      `S4_INSERT_BYTES=${k.s4InsertBytes} S4B_INSERT_BYTES=${k.s4bInsertBytes} S4_TRIGGER=${k.s4Trigger} POLL_MS=${k.pollMs} LOW_PRIORITY=${k.lowPriority ? 1 : 0} BENCH_ONLY=${[...k.only].join(',')}`,
  );

  // ------------------------------------------------------------------ test data
  const SRC = mk('src');
  const bigSrc = path.join(SRC, 'big.bin');
  log(`generating ${k.bigMib} MiB random file`);
  log(`  done in ${f3(await timed(() => genRandomFile(bigSrc, BIG)))} s`);
  log(`generating ${k.smallCount} small files`);
  fs.mkdirSync(path.join(SRC, 'small'));
  const small = await genSmall(path.join(SRC, 'small'), k.smallCount, k.smallMinKib, k.smallMaxKib, k.seed);
  log(`  ${JSON.stringify(small)}`);
  await syncDisks();

  // ------------------------------------------------------------------ physical baselines
  if (k.only.has('B')) {
    const base = await fileBaselines(bigSrc, mk('baseline'));
    R.add('B_cp_1file', base.cp, mbps(BIG, base.cp), `cp ${k.bigMib}MiB, source in page cache, no fsync`);
    R.add('B_cp_sync_1file', base.cpSync, mbps(BIG, base.cpSync), 'cp + sync (durable write)');
    R.add('B_sha256sum', base.sha256, mbps(BIG, base.sha256), 'coreutils sha256sum, page cache warm');
    R.add('B_b2sum', base.b2, mbps(BIG, base.b2), 'coreutils b2sum (BLAKE2b-512), page cache warm');
    const tcp = await tcpLoopback(k.tcpMib * MiB, k.timeoutS);
    R.add('B_tcp_loopback', tcp.secs, mbps(tcp.bytes, tcp.secs), `node net ${k.tcpMib}MiB 127.0.0.1, 1 MiB writes, separate processes`);
  }
  if (k.only.has('S1') || k.only.has('S2')) await pairScenarios(k, { root, repo, launcher, R, mk, bigSrc, SRC, small, poll, readyS });
  if (k.only.has('S5')) await scanScenario(k, { root, repo, launcher, R, mk, bigSrc, SRC, small, poll, readyS });

  // ------------------------------------------------------------------ summary
  say('');
  say(`== summary (MB = 10^6 bytes; total wall ${f3(now() - T_START)} s)`);
  for (const l of R.lines) say(l);
  if (problems > 0) log(`${problems} scenario(s) had late verification (see verify= in the notes)`);
  return problems > 0 ? 1 : 0;
}

/** What main() prepared that the scenarios share. */
interface Ctx {
  root: string;
  repo: string;
  launcher: Launcher;
  R: Results;
  mk: (name: string) => string;
  bigSrc: string;
  SRC: string;
  small: Awaited<ReturnType<typeof genSmall>>;
  poll: { pollMs: number; timeoutS: number; trace: boolean };
  readyS: number;
}

/** S1-S4 on the pair A/B (BENCH_ONLY picks among them; S3 implies S2, S4 implies S1). */
async function pairScenarios(k: Knobs, c: Ctx): Promise<void> {
  const { root, repo, launcher, R, mk, bigSrc, SRC, small, poll, readyS } = c;
  const BIG = k.bigMib * MiB;

  // ------------------------------------------------------------------ start the pair
  const A = await startDaemon('A', root, repo, launcher, k);
  const B = await startDaemon('B', root, repo, launcher, k);
  let t0 = now();
  await A.waitReady(readyS);
  await B.waitReady(readyS);
  log(`A and B answer on their APIs after ${f3(now() - t0)} s (peers connect per folder, inside S1's timing)`);

  // ------------------------------------------------------------------ S1: one large file
  const secretBig = (await A.api.getSecrets()).read_write;
  const DA_BIG = mk('dataA-big');
  const DB_BIG = mk('dataB-big');
  fs.linkSync(bigSrc, path.join(DA_BIG, 'big.bin')); // hard link: S4 replaces it by rename, SRC stays intact
  if (k.only.has('S1')) {
    const expBig = await treeHash(DA_BIG);
    await syncDisks();
    const rx0 = await peerBytesBaseline(B);
    log(`S1: sharing folder 'big' (${k.bigMib} MiB) A->B`);
    const cpu0 = cpuPair(A, B);
    t0 = now();
    await share(A, DA_BIG, secretBig, B);
    await share(B, DB_BIG, secretBig, A);
    const J = await waitSync(A, B, secretBig, { files: 1, bytes: BIG, dirs: 0 }, { ...poll, t0, diskOk: () => sizesMatch(DB_BIG, expBig.sizes), watchPeer: true });
    const cpu = cpuText(cpu0, cpuPair(A, B));
    const rx = rxDelta(rx0, await peerBytesIn(B, secretBig));
    const v = await verify('S1', DB_BIG, expBig.digest);
    const { elapsed: el, scanDone: sd } = J;
    R.add(
      'S1_initial_large',
      el,
      mbps(BIG, el),
      `A scan done @${f3(sd)}s; after-scan transfer ${f3(el - sd)}s (${mbps(BIG, el - sd)} MB/s); +verify(sha256 B) ${f3(v.secs)}s => ${f3(el + v.secs)}s; ` +
        `verify=${v.ok}; B rx ${rxText(rx)}; B listed peer @${J.peerAt === null ? '-' : f3(J.peerAt)}s; ${cpu}`,
    );
  }

  // ------------------------------------------------------------------ S2: many small files
  const secretSmall = (await A.api.getSecrets()).read_write;
  const DA_SM = mk('dataA-small');
  const DB_SM = mk('dataB-small');
  if (k.only.has('S2')) {
    await run('cp', ['-r', `${SRC}/small/.`, `${DA_SM}/`]);
    const expSmall = await treeHash(DA_SM);
    await syncDisks();
    const rx0 = await peerBytesBaseline(B);
    log(`S2: sharing folder 'small' (${k.smallCount} files, ${small.bytes} B) A->B`);
    const cpu0 = cpuPair(A, B);
    t0 = now();
    await share(A, DA_SM, secretSmall, B);
    await share(B, DB_SM, secretSmall, A);
    const e: Expect = { files: k.smallCount, bytes: small.bytes, dirs: small.dirs };
    const J = await waitSync(A, B, secretSmall, e, { ...poll, t0, diskOk: () => sizesMatch(DB_SM, expSmall.sizes), watchPeer: true });
    const cpu = cpuText(cpu0, cpuPair(A, B));
    const rx = rxDelta(rx0, await peerBytesIn(B, secretSmall));
    const v = await verify('S2', DB_SM, expSmall.digest);
    const { elapsed: el, scanDone: sd } = J;
    R.add(
      'S2_initial_small',
      el,
      mbps(small.bytes, el),
      `${k.smallCount} files, ${f3(k.smallCount / el)} files/s; A scan done @${f3(sd)}s; +verify ${f3(v.secs)}s => ${f3(el + v.secs)}s; verify=${v.ok}; B rx ${rxText(rx)}; ${cpu}`,
    );
  }

  // ------------------------------------------------------------------ S3: propagation latency
  if (k.latReps > 0 && k.only.has('S3')) {
    log(`S3: latency, default settings, ${k.latReps} reps`);
    const J = await latencyProbe(A, B, secretSmall, path.join(DA_SM, LAT_FILE), path.join(DB_SM, LAT_FILE), {
      reps: k.latReps,
      pollMs: k.latPollMs,
      size: k.latSize,
      timeoutS: Math.min(k.latTimeoutS, k.timeoutS),
    });
    R.add(
      'S3_latency',
      J.median,
      '-',
      `median of ${k.latReps} (fs watcher, default settings, ${k.latSize}B rewrite, poll ${k.latPollMs}ms); all: ${J.all.map(f3).join(' ')}`,
    );
  }

  // ------------------------------------------------------------------ S4: insert in the middle of the big file
  const s4 = async (name: string, ins: number): Promise<void> => {
    const cur = path.join(DA_BIG, 'big.bin');
    const size = fs.statSync(cur).size;
    const off = Math.floor(size / 2);
    const newsize = size + ins;
    const stage = mk('stage');
    await writeWithInsert(cur, path.join(stage, 'big.bin'), off, ins);
    const expS = await treeHash(stage);
    await syncDisks();
    const r0 = (await peerBytesIn(B, secretBig)) ?? new Map<string, number>();
    log(`${name}: inserting ${ins} B at offset ${off} of ${size} B file on A (trigger=${k.s4Trigger})`);
    const t = now();
    fs.renameSync(path.join(stage, 'big.bin'), cur); // what `mv` does on one filesystem
    let trigger = 'watcher';
    if (k.s4Trigger === 'scan') {
      const why = await A.api.rescanFolder(secretBig);
      trigger = why === null ? 'rescan_folder' : 'watcher (rescan_folder unavailable)';
      if (why !== null) log(`${name}: rescan_folder failed (${why}); relying on the watcher`);
    }
    const bFile = path.join(DB_BIG, 'big.bin');
    const diskOk = (): boolean => {
      try {
        return fs.statSync(bFile).size === newsize;
      } catch {
        return false;
      }
    };
    const J = await waitSync(A, B, secretBig, { files: 1, bytes: newsize, dirs: 0 }, { ...poll, t0: t, diskOk });
    const rx = rxDelta(r0, await peerBytesIn(B, secretBig));
    const v = await verify(name, DB_BIG, expS.digest);
    const rxPart =
      rx.bytes === null
        ? `B rx ${rxText(rx)}`
        : `B rx ${rxText(rx, true)} = ${f3((100 * rx.bytes) / newsize)}% of file, ${f3(rx.bytes / ins)}x insert`;
    R.add(
      name,
      J.elapsed,
      '-',
      `insert ${ins}B mid-file; ${rxPart}; A rescan done @${f3(J.scanDone)}s; verify=${v.ok} (+${f3(v.secs)}s); trigger=${trigger}`,
    );
    fs.rmdirSync(stage);
  };
  if (k.only.has('S4')) {
    await s4('S4_delta_insert', k.s4InsertBytes);
    if (k.s4bInsertBytes !== 0) await s4('S4b_delta_insert_unaligned', k.s4bInsertBytes);
  }

  // ------------------------------------------------------------------ end of pair: net check, RSS, stop
  say((await netcheck([A.pid, B.pid])).line);
  say(`   RSS after S1-S4: ${memLine(A)}, ${memLine(B)}`);
  await A.stop();
  await B.stop();
  fs.rmSync(DB_BIG, { recursive: true, force: true });
  fs.rmSync(DB_SM, { recursive: true, force: true });
}

/** S5: the initial scan of the big file and the small files on a single fresh daemon. */
async function scanScenario(k: Knobs, c: Ctx): Promise<void> {
  const { root, repo, launcher, R, mk, bigSrc, SRC, small, poll, readyS } = c;
  const BIG = k.bigMib * MiB;
  const C = await startDaemon('C', root, repo, launcher, k);
  await C.waitReady(readyS);
  const DC = mk('dataC');
  fs.linkSync(bigSrc, path.join(DC, 'big.bin'));
  await run('cp', ['-al', path.join(SRC, 'small'), path.join(DC, 'small')]);
  const N5 = k.smallCount + 1;
  const B5 = BIG + small.bytes;
  const secretScan = (await C.api.getSecrets()).read_write;
  await syncDisks();
  log(`S5: scanning ${k.bigMib} MiB + ${k.smallCount} files on a fresh, peerless daemon`);
  const idle = readMem(C.pid);
  const cpu0 = readCpuSeconds(C.pid);
  const t0 = now();
  await share(C, DC, secretScan, null);
  {
    const el = await waitIndexed(C, secretScan, { files: N5, bytes: B5, dirs: small.dirs + 1 }, { ...poll, t0 });
    const m = readMem(C.pid);
    const cpu = readCpuSeconds(C.pid) - cpu0;
    await sleep(1000);
    const later = readMem(C.pid);
    R.add(
      'S5_scan_hash',
      el,
      mbps(B5, el),
      `${N5} files, ${B5} B, page cache warm; VmRSS at end ${mibFromKb(m.rssKb)} MiB (VmHWM ${mibFromKb(m.hwmKb)} MiB); ` +
        `VmRSS 1 s later ${mibFromKb(later.rssKb)} MiB (${mibFromKb(idle.rssKb)} MiB before the folder was added); daemon CPU ${f3(cpu)} s`,
    );
  }
  say((await netcheck([C.pid])).line);
  await C.stop();
}

function entry(): void {
  let k: Knobs;
  try {
    k = readKnobs();
    if (maybeReexecInNetns(k.netns)) return; // the re-executed child does the work
  } catch (e) {
    log(`ERROR: ${errText(e)}`);
    process.exit(2);
  }
  main(k).then(
    async (code) => {
      await runCleanup();
      process.exit(code);
    },
    async (e: unknown) => {
      if (isClosing()) return; // a signal started the cleanup; its handler exits
      log(`ERROR: ${errText(e)}`);
      try {
        assertAllAlive(); // a crashed daemon is usually the real cause behind e.g. ECONNREFUSED
      } catch (dead) {
        log(`ERROR: ${errText(dead)}`);
      }
      for (const d of started) process.stderr.write(d.tails() + '\n');
      await runCleanup();
      process.exit(1);
    },
  );
}

entry();
