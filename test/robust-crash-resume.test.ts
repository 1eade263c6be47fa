import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  Sandbox,
  cleanupDaemons,
  makeDaemon,
  moveInRandomFile,
  sha256File,
  sizeOf,
  tempDir,
  until,
  writeRandomFile,
  type Daemon,
} from './helpers/daemons.js';
import { MAX_UNWRITTEN_BYTES } from '../engine/transfer/direct-writer.js';

/**
 * kill -9 in the middle of a big transfer, on the receiving side and on the sending side,
 * with two real `shoal --config` daemons. A download limit on B makes the transfer take
 * long enough that the kill reliably lands mid-file; it is lifted for the resume.
 *
 * What this proves:
 *  - a killed receiver never leaves a partial file in place, only `<name>.!sync`;
 *  - after a restart the verified chunks in `.!sync` are kept: the bytes received after
 *    the restart are bounded by what was still missing, not the file size;
 *  - a killed sender (restarted) does not break the receiver, which resumes and finishes
 *    with the exact content, again without re-fetching what it had.
 */

const MiB = 1024 * 1024;
const BIG = 300 * MiB;
const BIG2 = 160 * MiB;
/** kB/s while we want the transfer slow: 300 MiB take ~12 s. */
const SLOW_KBPS = 25 * 1024;
/** The puller's per-peer request window (model/puller.ts peerWindowBytes). */
const WINDOW = 16 * MiB;
/**
 * Bytes allowed on top of the payload still missing: wire overhead (frames, index,
 * handshake, API polling), plus one request window for each time the connection was
 * replaced while the transfer ran (requests in flight on a closed connection are asked
 * again; see the reconnect count in the diagnostics).
 */
const slack = (payload: number, reconnects: number) => Math.ceil(payload * 0.02) + 2 * MiB + reconnects * WINDOW;
/**
 * Progress is sampled just before the kill; chunks already in flight (at most one request
 * window) may still land after the sample, so "missing" can be overstated by that much.
 */
const UNSEEN = WINDOW + 4 * MiB;

/** Connections B set up for the folder since byte `offset` of its sync.log. */
function connectionsSince(logFile: string, offset: number): number {
  const text = fs.readFileSync(logFile, 'utf8').slice(offset);
  return text.match(/INFO Syncing folder .* with A /g)?.length ?? 0;
}

describe('SIGKILL mid-transfer, then resume', { timeout: 15 * 60_000 }, () => {
  let sandbox: Sandbox;
  let root: string;
  let A: Daemon;
  let B: Daemon;
  let dirA: string;
  let dirB: string;
  let secret: string;
  let bigHash: string;

  before(async () => {
    sandbox = Sandbox.create();
    root = tempDir('shoal-robust-kill-');
    dirA = path.join(root, 'dataA');
    dirB = path.join(root, 'dataB');
    fs.mkdirSync(dirA);
    fs.mkdirSync(dirB);
    bigHash = writeRandomFile(path.join(dirA, 'big.bin'), BIG);
    A = await makeDaemon(sandbox, root, 'A');
    B = await makeDaemon(sandbox, root, 'B');
  });

  after(async () => {
    await cleanupDaemons([A, B], sandbox);
    fs.rmSync(root, { recursive: true, force: true });
  });

  /**
   * What crossed the wire for the resumed transfer is bounded by what was still missing.
   * Two measures: B's byte counter of its current connection to A (an upper bound on that
   * connection alone), and - in a namespace - the loopback's byte counter, which sees every
   * byte between the two daemons whichever connection carried it (upper and lower bound).
   */
  function checkResumeTraffic(
    t: { diagnostic(msg: string): void },
    o: { missing: number; lo0: number | null; reconnects: number; peers: Array<{ bytes_in: number }>; receiverKilled: boolean },
  ): void {
    // A killed receiver also loses the verified chunks it had not written to its temp file
    // yet (the O_DIRECT writer's staged extents): those are rightly fetched again.
    const lost = o.receiverKilled ? MAX_UNWRITTEN_BYTES : 0;
    const allowed = o.missing + lost + slack(o.missing, Math.max(0, o.reconnects));
    const received = o.peers[0]!.bytes_in;
    t.diagnostic(
      `${(o.missing / MiB).toFixed(1)} MiB were missing; B's connection to A received ${(received / MiB).toFixed(1)} MiB; ` +
        `the connection was replaced ${o.reconnects} time(s)`,
    );
    assert.ok(received <= allowed, `B received ${received} bytes, but only ${o.missing} were missing: verified chunks were downloaded again`);
    const lo1 = sandbox.loopbackBytes();
    if (o.lo0 === null || lo1 === null) return;
    const wire = lo1 - o.lo0;
    t.diagnostic(`all traffic between the daemons meanwhile: ${(wire / MiB).toFixed(1)} MiB`);
    assert.ok(wire <= allowed, `${wire} bytes crossed the wire, but only ${o.missing} were missing: verified chunks were downloaded again`);
    assert.ok(wire >= o.missing - UNSEEN, `the missing part did cross the wire (${wire} of ${o.missing} bytes): the measure works`);
  }

  /** B's peers once A is listed (a connection being replaced is briefly not). */
  function peersOfB() {
    return until('B lists A as its peer', async () => {
      const p = await B.peers(secret);
      return p.length === 1 ? p : null;
    }, 15_000);
  }

  /** B's view of the folder: bytes of `total` it has verified so far. */
  async function progressOnB(total: number): Promise<number | null> {
    const f = await B.folder(secret);
    if (f.size < total) return null; // the record has not arrived yet
    return f.size - f.down_bytes;
  }

  it('receiver killed: no partial file in place; after restart only the missing chunks are fetched', async (t) => {
    t.diagnostic(`daemons run in ${sandbox.description}`);
    A.writeConfig();
    B.writeConfig({ download_limit: SLOW_KBPS, rate_limit_local_peers: true });
    await Promise.all([A.start(), B.start()]);
    secret = (await A.api<{ read_write: string }>('get_secrets')).read_write;
    await A.share(dirA, secret, [B.hostPort]);
    await B.share(dirB, secret, [A.hostPort]);

    const target = path.join(dirB, 'big.bin');
    const temp = target + '.!sync';
    // Hashing 300 MiB on A, then ~30% of it through B's limit.
    let done = 0;
    await until(
      'B has verified 30% of big.bin',
      async () => {
        const p = await progressOnB(BIG);
        if (p !== null) done = p;
        return p !== null && p >= 0.3 * BIG && fs.existsSync(temp);
      },
      180_000,
      100,
    );
    assert.ok(done < BIG, `the kill must land mid-transfer (B had ${done} of ${BIG})`);
    await B.kill9();
    assert.equal(B.exitSignal, 'SIGKILL');
    t.diagnostic(`B killed with ${(done / MiB).toFixed(1)} MiB of ${BIG / MiB} MiB verified`);

    assert.equal(fs.existsSync(target), false, 'no partial big.bin in place after the kill');
    assert.ok(fs.existsSync(temp), 'the .!sync temp is kept for resuming');
    assert.ok(sizeOf(temp)! > 0);

    // Restart without the limit: the config's values apply at each start.
    B.writeConfig();
    const logB = path.join(B.storage, 'sync.log');
    const logAt = sizeOf(logB)!;
    const lo0 = sandbox.loopbackBytes();
    await B.start();
    assert.equal((await B.api<{ download_limit: number }>('get_prefs')).download_limit, 0);
    await until('B finished big.bin', async () => sizeOf(target) === BIG && (await B.folder(secret)).down_bytes === 0, 180_000, 200);
    assert.equal(await sha256File(target), bigHash, 'B has exactly A\'s content');
    assert.equal(fs.existsSync(temp), false, 'the temp was renamed into place');

    const peers = await peersOfB();
    checkResumeTraffic(t, { missing: BIG - done, lo0, reconnects: connectionsSince(logB, logAt) - 1, peers, receiverKilled: true });
    assert.ok(peers[0]!.bytes_in < 0.75 * BIG, `B received ${peers[0]!.bytes_in} bytes after the restart: far fewer than the ${BIG} byte file`);
  });

  it('sender killed mid-transfer and restarted: the receiver still completes, without re-fetching', async (t) => {
    // Moved in whole, so anything at B's target before the download completes is partial.
    const hash2 = moveInRandomFile(path.join(dirA, 'big2.bin'), BIG2, root);
    await B.api('set_prefs', { download_limit: SLOW_KBPS, rate_limit_local_peers: 1 });
    const target = path.join(dirB, 'big2.bin');
    const temp = target + '.!sync';
    let done = 0;
    await until(
      'B has verified 30% of big2.bin',
      async () => {
        const p = await progressOnB(BIG + BIG2);
        if (p !== null) done = p - BIG;
        return p !== null && done >= 0.3 * BIG2 && fs.existsSync(temp);
      },
      180_000,
      100,
    );
    assert.ok(done < BIG2, 'the kill must land mid-transfer');
    await A.kill9();
    assert.equal(A.exitSignal, 'SIGKILL');
    t.diagnostic(`A killed with ${(done / MiB).toFixed(1)} MiB of ${BIG2 / MiB} MiB verified on B`);
    await B.api('set_prefs', { download_limit: 0 });

    // B keeps running and keeps its state; still no partial file in place.
    const f = await B.folder(secret);
    assert.equal(f.error, 0, `B's folder has no error: ${f.error_message}`);
    assert.ok(B.running, 'B is still running');
    assert.equal(fs.existsSync(target), false, `no partial big2.bin in place (it has ${sizeOf(target)} of ${BIG2} bytes; B had ${done} verified at the kill)`);
    assert.ok(fs.existsSync(temp));

    A.writeConfig();
    const logB = path.join(B.storage, 'sync.log');
    const logAt = sizeOf(logB)!;
    const lo0 = sandbox.loopbackBytes();
    await A.start();
    await until('B finished big2.bin', async () => sizeOf(target) === BIG2 && (await B.folder(secret)).down_bytes === 0, 180_000, 200);
    assert.equal(await sha256File(target), hash2, 'B has exactly A\'s big2.bin');
    assert.equal(await sha256File(path.join(dirB, 'big.bin')), bigHash, 'big.bin is untouched');
    assert.equal(fs.existsSync(temp), false);
    assert.ok(B.running, 'B never stopped');

    checkResumeTraffic(t, { missing: BIG2 - done, lo0, reconnects: connectionsSince(logB, logAt) - 1, peers: await peersOfB(), receiverKilled: false });
  });
});
