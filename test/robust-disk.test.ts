import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { generateSecret } from '../engine/secrets/secret.js';
import { listFiles, readIf, share, startEngine, stopAll, tempDir, waitFor, type TestEngine } from './helpers/engines.js';

/**
 * Disks that fill up or go away under a running engine (two in-process engines on
 * 127.0.0.1; B's folder is a real tmpfs mount, so root is needed).
 */

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

function mountTmpfs(dir: string, size: string): void {
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', dir], { timeout: 10_000 });
}

function isMountPoint(dir: string): boolean {
  return fs.statSync(dir).dev !== fs.statSync(path.dirname(dir)).dev;
}

/** Unmount; a busy mount is detached lazily (like a yanked disk). Never throws if not mounted. */
function unmount(dir: string): void {
  if (!isMountPoint(dir)) return;
  try {
    execFileSync('umount', [dir], { stdio: 'pipe', timeout: 10_000 });
  } catch {
    execFileSync('umount', ['-l', dir], { stdio: 'pipe', timeout: 10_000 });
  }
}

function errorsWithCode(t: TestEngine, code: string): Array<{ code: string; message: string; folder?: string }> {
  return t.events
    .filter((e) => e.event === 'error' && (e.payload as { code: string }).code === code)
    .map((e) => e.payload as { code: string; message: string; folder?: string });
}

describe('disk full and disappearing disks', { timeout: 5 * 60_000 }, () => {
  it('disk full on the receiver: DISK_FULL reported, the good file never replaced by a partial, no crash', async (t) => {
    if (!isRoot) return t.skip('needs root');
    const secret = generateSecret();
    const dirA = tempDir('shoal-full-A-');
    const dirB = tempDir('shoal-full-B-');
    let a: TestEngine | undefined;
    let b: TestEngine | undefined;
    mountTmpfs(dirB, '4m');
    try {
      a = await startEngine({ name: 'A' });
      b = await startEngine({ name: 'B' });
      const good = 'the good version\n';
      fs.writeFileSync(path.join(dirA, 'doc.txt'), good);
      await share(a, dirA, secret, [b]);
      await share(b, dirB, secret, [a]);
      await waitFor('B has doc.txt', () => readIf(path.join(dirB, 'doc.txt'))?.toString() === good, 30_000);

      const big = crypto.randomBytes(10 * 1024 * 1024);
      fs.writeFileSync(path.join(dirA, 'doc.txt'), big);
      await waitFor('B reports DISK_FULL', () => errorsWithCode(b!, 'DISK_FULL').length > 0, 60_000);
      const err = errorsWithCode(b, 'DISK_FULL')[0]!;
      assert.equal(err.folder, b.engine.folderBySecret(secret).id, 'the error names the folder');
      assert.match(err.message, /disk is full/i);
      t.diagnostic(`B: ${err.message}`);

      await new Promise((r) => setTimeout(r, 1000));
      const temp = path.join(dirB, 'doc.txt.!sync');
      t.diagnostic(`DISK_FULL errors: ${errorsWithCode(b, 'DISK_FULL').length}; temp left: ${fs.existsSync(temp) ? fs.statSync(temp).size : 'none'}; df: ${execFileSync('df', ['-k', dirB]).toString().split('\n')[1]}`);
      assert.equal(readIf(path.join(dirB, 'doc.txt'))?.toString(), good, 'the good file is intact, never replaced by a partial one');
      const [fb] = await b.engine.call('getFolders', { secret });
      assert.equal(fb!.error, 0, `a full disk does not stop the folder: ${fb!.error_message}`);
      assert.ok(errorsWithCode(b, 'DISK_FULL').length <= 5, `no retry storm: ${errorsWithCode(b, 'DISK_FULL').length} DISK_FULL errors`);
      assert.equal(errorsWithCode(b, 'INTERNAL').length, 0, 'no internal errors');
      assert.equal(readIf(path.join(dirA, 'doc.txt'))?.equals(big), true, 'A keeps its new version');

      // The partial download is not left filling the disk: other files still arrive.
      assert.equal(fs.existsSync(temp), false, 'the partial temp is removed on DISK_FULL (it would keep the disk full)');
      fs.writeFileSync(path.join(dirA, 'other.txt'), 'another small file');
      await waitFor('B has other.txt', () => readIf(path.join(dirB, 'other.txt'))?.toString() === 'another small file', 30_000);

      // Still alive: a later version that fits arrives (the unfinished temp is reused and shrunk).
      const after = 'a later, small version\n';
      fs.writeFileSync(path.join(dirA, 'doc.txt'), after);
      await waitFor('B has the later version', () => readIf(path.join(dirB, 'doc.txt'))?.toString() === after, 30_000);
      assert.deepEqual(fs.readdirSync(dirB).filter((n) => n.endsWith('.!sync')), [], 'no temp left behind');
    } finally {
      await stopAll([a, b]);
      for (const e of [a, b]) if (e) fs.rmSync(e.storage, { recursive: true, force: true });
      unmount(dirB);
      fs.rmSync(dirA, { recursive: true, force: true });
      fs.rmSync(dirB, { recursive: true, force: true });
    }
  });

  it('unmounted disk: the folder stops with FOLDER_PATH_MISSING and no deletion reaches the peer', async (t) => {
    if (!isRoot) return t.skip('needs root');
    const secret = generateSecret();
    const dirA = tempDir('shoal-umount-A-');
    const dirB = tempDir('shoal-umount-B-');
    let a: TestEngine | undefined;
    let b: TestEngine | undefined;
    mountTmpfs(dirB, '16m');
    try {
      fs.mkdirSync(path.join(dirA, 'sub/deeper'), { recursive: true });
      fs.writeFileSync(path.join(dirA, 'a.txt'), 'file a');
      fs.writeFileSync(path.join(dirA, 'sub/b.txt'), 'file b');
      fs.writeFileSync(path.join(dirA, 'sub/deeper/c.bin'), crypto.randomBytes(1024 * 1024));
      a = await startEngine({ name: 'A' });
      b = await startEngine({ name: 'B' });
      // Rescan every second on both: a rescan must not turn the empty mount point into deletions.
      await a.engine.call('setPrefs', { prefs: { folder_rescan_interval: 1 } });
      await b.engine.call('setPrefs', { prefs: { folder_rescan_interval: 1 } });
      await share(a, dirA, secret, [b]);
      await share(b, dirB, secret, [a]);
      const expected = listFiles(dirA);
      await waitFor('B has everything', () => JSON.stringify(listFiles(dirB)) === JSON.stringify(expected), 30_000);
      const contentA = new Map(expected.filter((p) => !p.endsWith('/')).map((p) => [p, fs.readFileSync(path.join(dirA, p))]));
      const marker = fs.readFileSync(path.join(dirB, '.sync', 'ID'));

      unmount(dirB);
      assert.ok(fs.statSync(dirB).isDirectory() && fs.readdirSync(dirB).length === 0, 'the mount point stays, empty');
      await waitFor(
        'B stops the folder with FOLDER_PATH_MISSING',
        async () => (await b!.engine.call('getFolders', { secret }))[0]!.error_code === 'FOLDER_PATH_MISSING',
        30_000,
      );
      const [fb] = await b.engine.call('getFolders', { secret });
      assert.notEqual(fb!.error, 0);
      assert.match(fb!.error_message ?? '', /nothing was deleted/);
      assert.ok(errorsWithCode(b, 'FOLDER_PATH_MISSING').length > 0, 'an error event too');

      // Well past several rescans on both sides.
      await new Promise((r) => setTimeout(r, 4000));
      assert.deepEqual(listFiles(dirA), expected, "A's files are all still there");
      for (const [p, data] of contentA) assert.equal(readIf(path.join(dirA, p))?.equals(data), true, `${p} unchanged on A`);
      assert.equal(fs.existsSync(path.join(dirA, '.SyncArchive')), false, 'nothing was archived (deleted) on A');
      const deletions = [...a.events, ...b.events].filter((e) => e.event === 'fileDeleted');
      assert.deepEqual(deletions, [], 'no deletion anywhere');
      assert.equal((await a.engine.call('getFolders', { secret }))[0]!.files, contentA.size, "A's index still lists every file");
      assert.deepEqual(fs.readdirSync(dirB), [], 'B wrote nothing into the bare mount point');

      // The disk comes back (remounted, contents restored) and B restarts: nothing is lost.
      mountTmpfs(dirB, '16m');
      fs.cpSync(dirA, dirB, { recursive: true, preserveTimestamps: true, filter: (src) => !src.includes(`${path.sep}.sync`) });
      fs.mkdirSync(path.join(dirB, '.sync'));
      fs.writeFileSync(path.join(dirB, '.sync', 'ID'), marker);
      const storageB = b.storage;
      const portB = b.port;
      await b.engine.close();
      b = await startEngine({ name: 'B', storage: storageB, config: { listening_port: portB } });
      await waitFor('B connected again', async () => (await b!.engine.call('getFolderPeers', { secret })).length === 1, 30_000);
      await new Promise((r) => setTimeout(r, 2500)); // a couple of rescans on both sides
      const [again] = await b.engine.call('getFolders', { secret });
      assert.equal(again!.error, 0, `the folder runs again: ${again!.error_message}`);
      assert.deepEqual(listFiles(dirB), expected);
      assert.deepEqual(listFiles(dirA), expected);
      for (const [p, data] of contentA) {
        assert.equal(readIf(path.join(dirA, p))?.equals(data), true, `${p} on A`);
        assert.equal(readIf(path.join(dirB, p))?.equals(data), true, `${p} on B`);
      }
      assert.deepEqual([...a.events, ...b.events].filter((e) => e.event === 'fileDeleted'), []);
    } finally {
      await stopAll([a, b]);
      for (const e of [a, b]) if (e) fs.rmSync(e.storage, { recursive: true, force: true });
      unmount(dirB);
      fs.rmSync(dirA, { recursive: true, force: true });
      fs.rmSync(dirB, { recursive: true, force: true });
    }
  });
});
