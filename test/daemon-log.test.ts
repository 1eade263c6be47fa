import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { FileLogger } from '../engine/daemon/log.js';

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shoal-log-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('sync.log', () => {
  it('writes "ISO-time LEVEL msg {fields}" lines, one per event, secrets redacted', () => {
    const file = path.join(dir, 'sync.log');
    const log = new FileLogger({ file, maxBytes: 1e6, clock: () => Date.UTC(2024, 0, 2, 3, 4, 5) });
    log.info('folder added', { dir: '/x', secret: 'ASECRET', n: 1 });
    log.warn('two\nlines');
    log.debug('hidden at info level');
    log.close();
    log.error('after close is dropped, not thrown');
    assert.equal(
      fs.readFileSync(file, 'utf8'),
      '2024-01-02T03:04:05.000Z INFO folder added {"dir":"/x","secret":"[redacted]","n":1}\n' +
        '2024-01-02T03:04:05.000Z WARN two\\nlines\n',
    );
  });

  it('rotates to sync.log.old past maxBytes, so at most ~2x maxBytes is kept', () => {
    const file = path.join(dir, 'sync.log');
    const log = new FileLogger({ file, maxBytes: 200 });
    for (let i = 0; i < 50; i++) log.info(`line ${i} ${'x'.repeat(20)}`);
    log.close();
    const cur = fs.readFileSync(file, 'utf8');
    const old = fs.readFileSync(file + '.old', 'utf8');
    assert.ok(fs.statSync(file).size <= 200, `current is ${fs.statSync(file).size} bytes`);
    assert.ok(fs.statSync(file + '.old').size <= 200);
    assert.match(cur, /line 49 /, 'newest line is in the current file');
    assert.doesNotMatch(cur + old, /line 0 /, 'oldest lines are gone');
    // Reopening continues the current file and keeps counting its size.
    const again = new FileLogger({ file, maxBytes: 200 });
    again.info('reopened ' + 'y'.repeat(150));
    again.close();
    assert.ok(fs.statSync(file).size <= 200);
  });

  it('echoes warnings and errors (only) to the foreground stream', () => {
    const echo = new PassThrough();
    let out = '';
    echo.on('data', (d: Buffer) => (out += d.toString()));
    const log = new FileLogger({ file: path.join(dir, 'sync.log'), maxBytes: 1e6, echo });
    log.info('quiet');
    log.warn('loud');
    log.error('louder', { code: 'X' });
    log.close();
    assert.doesNotMatch(out, /quiet/);
    assert.match(out, /WARN loud\n/);
    assert.match(out, /ERROR louder \{"code":"X"\}\n/);
  });

  it('debug level writes debug lines', () => {
    const file = path.join(dir, 'sync.log');
    const log = new FileLogger({ file, maxBytes: 1e6, level: 'debug' });
    log.debug('detail', { buf: Buffer.alloc(3) });
    log.close();
    assert.match(fs.readFileSync(file, 'utf8'), /DEBUG detail \{"buf":"<3 bytes>"\}/);
  });
});
