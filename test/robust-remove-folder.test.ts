import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Sandbox, cleanupDaemons, makeDaemon, sha256File, moveInRandomFile, sleep, tempDir, until, type Daemon } from './helpers/daemons.js';

/**
 * remove_folder through the HTTP API of a real daemon, while a download into that folder is
 * in progress: the user's files stay exactly as they are, every `.!sync` leftover (the one
 * the interrupted download was building, and an older one from an earlier crash) is
 * deleted, nothing is deleted on the other device, and the folder does not come back after
 * a restart.
 */

const MiB = 1024 * 1024;

function tempLeftovers(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string): void => {
    for (const ent of fs.readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${ent.name}` : ent.name;
      if (ent.isDirectory()) walk(path.join(d, ent.name), r);
      else if (ent.name.endsWith('.!sync')) out.push(r);
    }
  };
  walk(dir, '');
  return out.sort();
}

describe('removing a folder', { timeout: 5 * 60_000 }, () => {
  let sandbox: Sandbox;
  let root: string;
  let A: Daemon;
  let B: Daemon;

  before(async () => {
    sandbox = Sandbox.create();
    root = tempDir('shoal-robust-remove-');
    A = await makeDaemon(sandbox, root, 'A');
    B = await makeDaemon(sandbox, root, 'B');
  });

  after(async () => {
    await cleanupDaemons([A, B], sandbox);
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('mid-download: user files stay, .!sync leftovers go, the peer keeps everything', async () => {
    const dirA = path.join(root, 'dataA');
    const dirB = path.join(root, 'dataB');
    fs.mkdirSync(path.join(dirA, 'sub'), { recursive: true });
    fs.mkdirSync(path.join(dirB, 'old'), { recursive: true });
    fs.writeFileSync(path.join(dirA, 'small.txt'), 'small file from A');
    fs.writeFileSync(path.join(dirA, 'sub', 'nested.txt'), 'nested file from A');
    // B's own file, and a temp left by a crash long ago (right name: `<target>.!sync`).
    fs.writeFileSync(path.join(dirB, 'mine.txt'), 'only on B');
    fs.writeFileSync(path.join(dirB, 'old', 'report.pdf.!sync'), Buffer.alloc(100_000, 1));

    A.writeConfig();
    B.writeConfig({ download_limit: 4 * 1024, rate_limit_local_peers: true }); // 64 MiB take ~16 s
    await Promise.all([A.start(), B.start()]);
    const secret = (await A.api<{ read_write: string }>('get_secrets')).read_write;
    await A.share(dirA, secret, [B.hostPort]);
    await B.share(dirB, secret, [A.hostPort]);

    await until(
      'B has the small files',
      () => fs.existsSync(path.join(dirB, 'sub', 'nested.txt')) && fs.existsSync(path.join(dirB, 'small.txt')),
      60_000,
    );
    // Then a big file, so a download is under way when the folder is removed.
    // Moved in whole, so anything at B's target before the download completes is partial.
    const bigHash = moveInRandomFile(path.join(dirA, 'big.bin'), 64 * MiB, root);
    const bigTemp = path.join(dirB, 'big.bin.!sync');
    await until(
      'B is downloading big.bin',
      async () => {
        const f = await B.folder(secret);
        return fs.existsSync(bigTemp) && f.size > 64 * MiB && f.size - f.down_bytes > 4 * MiB;
      },
      120_000,
    );
    assert.equal(fs.existsSync(path.join(dirB, 'big.bin')), false, 'still downloading');
    assert.deepEqual(tempLeftovers(dirB), ['big.bin.!sync', 'old/report.pdf.!sync']);

    assert.deepEqual(await B.api('remove_folder', { secret }), { error: 0 });
    assert.deepEqual(await B.folders(), []);
    assert.deepEqual(tempLeftovers(dirB), [], 'every .!sync leftover is deleted');
    assert.equal(fs.readFileSync(path.join(dirB, 'small.txt'), 'utf8'), 'small file from A');
    assert.equal(fs.readFileSync(path.join(dirB, 'sub', 'nested.txt'), 'utf8'), 'nested file from A');
    assert.equal(fs.readFileSync(path.join(dirB, 'mine.txt'), 'utf8'), 'only on B');
    assert.equal(fs.existsSync(path.join(dirB, 'big.bin')), false, 'no partial file appears');

    // Nothing keeps writing there, and nothing was deleted on A.
    await sleep(1500);
    assert.deepEqual(tempLeftovers(dirB), [], 'no download resumed into the removed folder');
    assert.equal(fs.readFileSync(path.join(dirA, 'small.txt'), 'utf8'), 'small file from A');
    assert.equal(fs.readFileSync(path.join(dirA, 'sub', 'nested.txt'), 'utf8'), 'nested file from A');
    assert.equal(await sha256File(path.join(dirA, 'big.bin')), bigHash);
    assert.equal(fs.readFileSync(path.join(dirA, 'mine.txt'), 'utf8'), 'only on B', "B's own file had reached A and stays");
    const af = await A.folder(secret);
    assert.equal(af.files, 4, 'A still lists all 4 files');
    assert.equal(af.error, 0);
    const archived = (d: string) => (fs.existsSync(path.join(d, '.SyncArchive')) ? fs.readdirSync(path.join(d, '.SyncArchive')) : []);
    assert.deepEqual([...archived(dirA), ...archived(dirB)], [], 'nothing was replaced or deleted on either side');

    // The removal lasts: not back after a restart, and the files are still untouched.
    B.writeConfig();
    await B.stop();
    await B.start();
    assert.deepEqual(await B.folders(), []);
    await sleep(1000);
    assert.deepEqual(tempLeftovers(dirB), []);
    assert.equal(fs.readFileSync(path.join(dirB, 'mine.txt'), 'utf8'), 'only on B');
  });
});
