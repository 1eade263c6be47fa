import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { chunkHash } from '../engine/index/chunk-hash.js';
import { ShoalError } from '../engine/errors.js';
import type { FileRecord } from '../engine/model/record.js';
import { FileAssembler, writeSmallFile } from '../engine/transfer/assembler.js';
import { applyDelete, applyDir } from '../engine/transfer/apply.js';
import { resolveInRoot, resolveSegments } from '../engine/transfer/safe-path.js';
import { archiveFile } from '../engine/archive/archive.js';

const noSymlinks = process.platform === 'win32' && 'symlinks need privileges on Windows';
const isBadPath = (e: unknown) => e instanceof ShoalError && e.code === 'BAD_PATH';

async function tmp(prefix = 'shoal-sp-'): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}
const made: string[] = [];
after(() => Promise.all(made.map((d) => fs.rm(d, { recursive: true, force: true }))));

function record(rel: string, data: Buffer): FileRecord {
  const h = chunkHash(data);
  return {
    path: rel, kind: 'file', size: data.length, mtimeMs: 1, mode: 0o644, chunks: data.length ? [{ hash: h, size: data.length }] : [],
    deleted: false, version: [['d', 1]], changedAt: 1, origin: 'd', sig: Buffer.alloc(64),
  };
}

async function listAll(dir: string): Promise<string[]> {
  return (await fs.readdir(dir, { recursive: true })).map(String).sort();
}

test('resolveInRoot maps clean relative paths under the root', async () => {
  const root = await tmp();
  assert.equal(await resolveInRoot(root, 'a/b/c.txt'), path.join(root, 'a', 'b', 'c.txt'));
  assert.equal(await resolveInRoot(root, 'x'), path.join(root, 'x'));
  // createParents makes the folders, never more.
  assert.equal(await resolveInRoot(root, 'p/q/r.txt', { createParents: true }), path.join(root, 'p/q/r.txt'));
  assert.ok((await fs.stat(path.join(root, 'p/q'))).isDirectory());
  await assert.rejects(fs.stat(path.join(root, 'p/q/r.txt')), { code: 'ENOENT' });
  // Relative roots are resolved.
  const rel = path.relative(process.cwd(), root);
  assert.equal(await resolveInRoot(rel, 'a'), path.join(root, 'a'));
});

test('escapes, absolute paths and malformed paths are BAD_PATH', async () => {
  const root = await tmp();
  const bad = ['../evil', 'a/../../evil', '..', '.', '/etc/passwd', '//etc/passwd', 'C:/Windows/x', 'c:evil',
    'a\\..\\..\\evil', 'a//b', 'a/./b', 'a/', '', 'nul\0byte', '.SyncArchive/x', 'a/b.!sync', '.sync/id', 'e\u0301.txt'];
  for (const p of bad) await assert.rejects(resolveInRoot(root, p, { createParents: true }), isBadPath, JSON.stringify(p));
  await assert.rejects(resolveSegments(root, ['a', '..', 'b']), isBadPath);
  await assert.rejects(resolveSegments(root, ['a/b']), isBadPath);
  await assert.rejects(resolveSegments(root, []), isBadPath);
  assert.deepEqual(await listAll(root), []);
});

test('Windows name rules are enforced on win32', async () => {
  const root = await tmp();
  for (const seg of ['a:b', 'CON', 'con.txt', 'LPT1', 'x?', 'tail.', 'tail ', 'q"', 'a<b', 'a|b', 'ctl\x01']) {
    await assert.rejects(resolveSegments(root, [seg], { platform: 'win32' }), isBadPath, seg);
  }
  assert.equal(await resolveSegments(root, ['console.txt'], { platform: 'win32' }), path.join(root, 'console.txt'));
  // POSIX allows them.
  assert.equal(await resolveSegments(root, ['a:b'], { platform: 'linux' }), path.join(root, 'a:b'));
});

test('a symlinked parent pointing outside the root is refused and nothing is written outside', { skip: noSymlinks }, async () => {
  const root = await tmp();
  const outside = await tmp('shoal-outside-');
  await fs.symlink(outside, path.join(root, 'docs'));
  await fs.mkdir(path.join(root, 'real'));
  await fs.symlink(outside, path.join(root, 'real/deeper'));
  const data = randomBytes(100);

  for (const rel of ['docs/x.txt', 'docs/new/x.txt', 'real/deeper/x.txt']) {
    await assert.rejects(resolveInRoot(root, rel), isBadPath, rel);
    await assert.rejects(resolveInRoot(root, rel, { createParents: true }), isBadPath, rel);
    await assert.rejects(FileAssembler.open(root, record(rel, data)), isBadPath, rel);
    await assert.rejects(writeSmallFile(root, record(rel, data), data, { archive: null }), isBadPath, rel);
    await assert.rejects(applyDir(root, rel, 0o755), isBadPath, rel);
    await assert.rejects(applyDelete(root, rel, { archive: null }), isBadPath, rel);
  }
  // Also as the archive destination: `.SyncArchive` itself a symlink to outside.
  await fs.writeFile(path.join(root, 'v.txt'), 'v');
  await fs.symlink(outside, path.join(root, '.SyncArchive'));
  await assert.rejects(archiveFile(root, 'v.txt', { maxSizeBytes: 1e9 }), isBadPath);
  assert.equal(await fs.readFile(path.join(root, 'v.txt'), 'utf8'), 'v');

  assert.deepEqual(await listAll(outside), []);
});

test('the root itself may be a symlink; a missing root is never recreated', { skip: noSymlinks }, async () => {
  const real = await tmp();
  const holder = await tmp();
  const linkRoot = path.join(holder, 'folder');
  await fs.symlink(real, linkRoot);
  const data = Buffer.from('ok');
  await writeSmallFile(linkRoot, record('in/side.txt', data), data, { archive: null });
  assert.equal(await fs.readFile(path.join(real, 'in/side.txt'), 'utf8'), 'ok');

  const gone = path.join(holder, 'unmounted');
  await assert.rejects(
    writeSmallFile(gone, record('a/b.txt', data), data, { archive: null }),
    (e: unknown) => e instanceof ShoalError && e.code === 'FOLDER_PATH_MISSING',
  );
  await assert.rejects(fs.stat(gone), { code: 'ENOENT' });
});

test('a file where a parent folder should be is a local change, not overwritten', async () => {
  const root = await tmp();
  await fs.writeFile(path.join(root, 'a'), 'I am a file');
  const data = Buffer.from('x');
  await assert.rejects(writeSmallFile(root, record('a/b.txt', data), data, { archive: null }), (e: unknown) => e instanceof ShoalError && e.code === 'IO_ERROR');
  assert.equal(await fs.readFile(path.join(root, 'a'), 'utf8'), 'I am a file');
});
