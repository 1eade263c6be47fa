import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Sandbox, cleanupDaemons, makeDaemon, tempDir, type Daemon } from './helpers/daemons.js';

/**
 * sync.log of a real daemon under storage_path: startup and shutdown lines, appended across
 * restarts (also after kill -9), rotated to sync.log.old at `log_size` MB, and no folder
 * secret ever written. The FileLogger's own edge cases are unit-tested in daemon-log.test.ts.
 */

const MiB = 1024 * 1024;

describe('sync.log written by the daemon', { timeout: 3 * 60_000 }, () => {
  let sandbox: Sandbox;
  let root: string;
  let D: Daemon;
  let logFile: string;

  before(async () => {
    sandbox = Sandbox.create();
    root = tempDir('shoal-robust-log-');
    D = await makeDaemon(sandbox, root, 'logger');
    logFile = path.join(D.storage, 'sync.log');
  });

  after(async () => {
    await cleanupDaemons([D], sandbox);
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('rotates to sync.log.old at log_size MB: a log already at the limit is moved aside by the first new line', async () => {
    // An earlier run left a sync.log just under 1 MiB.
    fs.mkdirSync(D.storage, { recursive: true });
    const line = 'EARLIER RUN ' + 'x'.repeat(87) + '\n'; // 100 bytes
    const earlier = line.repeat(Math.floor((MiB - 60) / line.length));
    fs.writeFileSync(logFile, earlier);
    D.writeConfig({ log_size: 1 });
    await D.start();

    assert.equal(fs.readFileSync(logFile + '.old', 'utf8'), earlier, 'the earlier log, unchanged, in sync.log.old');
    const text = fs.readFileSync(logFile, 'utf8');
    assert.doesNotMatch(text, /EARLIER RUN/);
    assert.match(text, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO Shoal starting \{"version":"[^"]+","config":"[^"]+shoal\.json","pid":\d+,"chacha20":"(openssl|libsodium)"\}\n/);
    assert.match(text, /INFO Shoal device logger \(\w+\) listening on port \d+\n/);
    assert.match(text, /INFO HTTP API listening \{"url":"http:\/\/127\.0\.0\.1:\d+"\}\n/);
    assert.ok(fs.statSync(logFile).size <= MiB);
  });

  it('appends across a clean restart and a kill -9; never writes a folder secret', async () => {
    const dir = path.join(root, 'folder');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'a.txt'), 'a');
    const secret = (await D.api<{ read_write: string; read_only: string }>('get_secrets')).read_write;
    await D.api('add_folder', { dir, secret });
    await D.api('set_folder_hosts', { secret, hosts: '127.0.0.1:9' });
    assert.equal(await D.stop(), 0);
    let text = fs.readFileSync(logFile, 'utf8');
    assert.match(text, /INFO Shoal stopped\n/);
    assert.match(text, /INFO Daemon exiting\n$/, 'the last line says the daemon exited');

    await D.start();
    await D.kill9();
    await D.start();
    text = fs.readFileSync(logFile, 'utf8');
    assert.equal(text.match(/INFO Shoal starting /g)?.length, 3, 'three starts, one file');
    assert.equal(text.match(/INFO Daemon exiting/g)?.length, 1, 'the killed run could not say goodbye');
    for (const l of text.split('\n').filter(Boolean)) {
      assert.match(l, /^\d{4}-\d\d-\d\dT[\d:.]+Z (DEBUG|INFO|WARN|ERROR) /, `well-formed line: ${l}`);
    }
    const everything = text + fs.readFileSync(logFile + '.old', 'utf8');
    const ro = (await D.api<{ read_only: string }>('get_secrets', { secret })).read_only;
    assert.ok(!everything.includes(secret), 'the read-write secret is never logged');
    assert.ok(!everything.includes(ro), 'the read-only secret is never logged');
  });
});
