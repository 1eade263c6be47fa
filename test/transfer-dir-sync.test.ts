import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fsyncDir } from '../engine/transfer/dir-sync.js';
import { toUtimeSeconds, modeFor } from '../engine/transfer/file-meta.js';
import { tempPathFor } from '../engine/transfer/temp-file.js';

test('fsyncDir: concurrent requests for one directory share fsyncs and all resolve', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'shoal-ds-'));
  const other = await fs.mkdtemp(path.join(os.tmpdir(), 'shoal-ds-'));
  after(() => Promise.all([dir, other].map((d) => fs.rm(d, { recursive: true, force: true }))));
  const calls = Array.from({ length: 50 }, (_, i) => fsyncDir(i % 2 ? dir : other));
  // Requests made while one fsync runs share the single follow-up one.
  assert.equal(calls[2], calls[4]);
  await Promise.all(calls);
  await fsyncDir(dir); // state was cleaned up; a new round works
  if (process.platform !== 'win32') {
    await assert.rejects(fsyncDir(path.join(dir, 'missing')), { code: 'ENOENT' });
    await fsyncDir(dir);
  }
});

test('toUtimeSeconds lands on the exact millisecond after libuv truncation to microseconds', () => {
  for (const ms of [0, 1, 123, 1_700_000_000_123, 1_234_567_890_999, 4_102_444_800_001]) {
    const s = toUtimeSeconds(ms);
    const sec = Math.trunc(s);
    let nsec = Math.trunc((s - sec) * 1e9);
    nsec -= nsec % 1000; // what libuv does
    assert.equal(Math.floor(sec * 1000 + nsec / 1e6), ms, String(ms));
  }
});

test('modeFor keeps rw bits and grants x only where readable', () => {
  assert.equal(modeFor(0o755, 0o644), 0o755);
  assert.equal(modeFor(0o755, 0o600), 0o700);
  assert.equal(modeFor(0o644, 0o755), 0o644);
  assert.equal(modeFor(0o100, 0o640), 0o740);
  assert.equal(modeFor(0o777, 0o4666), 0o777); // never setuid/setgid/sticky from a peer
});

test('tempPathFor: next to the target, legal length', () => {
  assert.equal(tempPathFor(path.join('/r', 'a', 'b.txt')), path.join('/r', 'a', 'b.txt.!sync'));
  const long = 'x'.repeat(255);
  const t = path.basename(tempPathFor(path.join('/r', long)));
  assert.ok(Buffer.byteLength(t) <= 255 && t.endsWith('.!sync'));
  assert.notEqual(tempPathFor(path.join('/r', long)), tempPathFor(path.join('/r', long.slice(1) + 'y')));
});
