import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { archiverFor } from '../engine/archive/archive.js';
import { applyDelete, applyDir } from '../engine/transfer/apply.js';
import { isLocalChange } from '../engine/transfer/errors.js';

async function tmp(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'shoal-apply-'));
  made.push(dir);
  return dir;
}
const made: string[] = [];
after(() => Promise.all(made.map((d) => fs.rm(d, { recursive: true, force: true }))));

const exists = (p: string) => fs.lstat(p).then(() => true, () => false);

test('applyDelete archives a file, then it is gone', async () => {
  const root = await tmp();
  await fs.mkdir(path.join(root, 'd'));
  await fs.writeFile(path.join(root, 'd/f.txt'), 'data');
  const st = await fs.stat(path.join(root, 'd/f.txt'));
  const ok = await applyDelete(root, 'd/f.txt', {
    kind: 'file',
    archive: archiverFor(root, { maxSizeBytes: 1e9 }),
    expectOld: { size: st.size, mtimeMs: st.mtimeMs },
  });
  assert.equal(ok, true);
  assert.equal(await exists(path.join(root, 'd/f.txt')), false);
  assert.equal(await fs.readFile(path.join(root, '.SyncArchive/d/f.txt'), 'utf8'), 'data');
  // Already gone: nothing to do, still true.
  assert.equal(await applyDelete(root, 'd/f.txt', { archive: null }), true);
});

test('applyDelete removes a too-big file without archiving, or without versioning', async () => {
  const root = await tmp();
  await fs.writeFile(path.join(root, 'big.bin'), Buffer.alloc(2000));
  await fs.writeFile(path.join(root, 'x.bin'), 'x');
  assert.equal(await applyDelete(root, 'big.bin', { archive: archiverFor(root, { maxSizeBytes: 1000 }) }), true);
  assert.equal(await applyDelete(root, 'x.bin', { archive: null }), true);
  assert.deepEqual(await fs.readdir(root), []);
});

test('applyDelete keeps a file the user changed meanwhile', async () => {
  const root = await tmp();
  await fs.writeFile(path.join(root, 'f.txt'), 'v1');
  const st = await fs.stat(path.join(root, 'f.txt'));
  await fs.writeFile(path.join(root, 'f.txt'), 'v2 edited');
  await assert.rejects(applyDelete(root, 'f.txt', { archive: null, expectOld: { size: st.size, mtimeMs: st.mtimeMs } }), isLocalChange);
  assert.equal(await fs.readFile(path.join(root, 'f.txt'), 'utf8'), 'v2 edited');
});

test('applyDelete of a folder: empty -> removed; unknown files -> kept; synced leftovers removed', async () => {
  const root = await tmp();
  await fs.mkdir(path.join(root, 'empty'));
  assert.equal(await applyDelete(root, 'empty', { kind: 'dir', archive: null }), true);
  assert.equal(await exists(path.join(root, 'empty')), false);

  await fs.mkdir(path.join(root, 'd/sub'), { recursive: true });
  await fs.writeFile(path.join(root, 'd/mine.txt'), 'unknown to the index');
  await fs.writeFile(path.join(root, 'd/sub/synced.txt'), 's');
  await fs.writeFile(path.join(root, 'd/.DS_Store'), 'junk');
  const archive = archiverFor(root, { maxSizeBytes: 1e9 });
  const synced = new Set(['d/sub', 'd/sub/synced.txt', 'd/.DS_Store']);
  assert.equal(await applyDelete(root, 'd', { kind: 'dir', archive, isSynced: (rel) => synced.has(rel) }), false);
  assert.deepEqual((await fs.readdir(path.join(root, 'd'))).sort(), ['mine.txt']);
  assert.equal(await fs.readFile(path.join(root, '.SyncArchive/d/sub/synced.txt'), 'utf8'), 's');

  await fs.unlink(path.join(root, 'd/mine.txt'));
  assert.equal(await applyDelete(root, 'd', { kind: 'dir', archive }), true);
  assert.equal(await exists(path.join(root, 'd')), false);
});

test('applyDelete leaves the other kind alone (a folder where the file was, and vice versa)', async () => {
  const root = await tmp();
  await fs.mkdir(path.join(root, 'was-file'));
  await fs.writeFile(path.join(root, 'was-dir'), 'now a file');
  assert.equal(await applyDelete(root, 'was-file', { kind: 'file', archive: null }), false);
  assert.equal(await applyDelete(root, 'was-dir', { kind: 'dir', archive: null }), false);
  assert.ok(await exists(path.join(root, 'was-file')));
  assert.ok(await exists(path.join(root, 'was-dir')));
});

test('applyDir creates folders (mkdir -p), is idempotent, refuses a file in the way', async () => {
  const root = await tmp();
  assert.equal(await applyDir(root, 'a/b/c', 0o755), true);
  assert.ok((await fs.stat(path.join(root, 'a/b/c'))).isDirectory());
  assert.equal(await applyDir(root, 'a/b/c', 0o755), false);
  if (process.platform !== 'win32') {
    assert.equal(await applyDir(root, 'private', 0o000), true); // owner keeps rwx
    assert.equal((await fs.stat(path.join(root, 'private'))).mode & 0o700, 0o700);
  }
  await fs.writeFile(path.join(root, 'file'), 'x');
  await assert.rejects(applyDir(root, 'file', 0o755), isLocalChange);
  await assert.rejects(applyDir(root, 'file/sub', 0o755), isLocalChange);
});
