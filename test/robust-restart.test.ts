import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Sandbox, cleanupDaemons, makeDaemon, tempDir, type Daemon } from './helpers/daemons.js';

/**
 * Restarting a real `shoal --config` daemon (clean shutdown and kill -9): folders added and
 * prefs set through the HTTP API survive, and the config file's explicit values win at
 * every start while keys the file leaves unset keep the value chosen through the API.
 */

interface Prefs {
  upload_limit: number;
  download_limit: number;
  folder_rescan_interval: number;
  device_name: string;
}

describe('daemon restart keeps API changes; the config file wins where it speaks', { timeout: 5 * 60_000 }, () => {
  let sandbox: Sandbox;
  let root: string;
  let D: Daemon;
  let dir1: string;
  let dir2: string;
  let secret1: string;
  let secret2: string;

  before(async () => {
    sandbox = Sandbox.create();
    root = tempDir('shoal-robust-restart-');
    dir1 = path.join(root, 'one');
    dir2 = path.join(root, 'two');
    fs.mkdirSync(dir1);
    fs.mkdirSync(dir2);
    fs.writeFileSync(path.join(dir1, 'hello.txt'), 'hello');
    D = await makeDaemon(sandbox, root, 'D');
  });

  after(async () => {
    await cleanupDaemons([D], sandbox);
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('clean restart: API folder, its prefs and hosts, and set_prefs values survive; config upload_limit wins', async () => {
    D.writeConfig({ upload_limit: 5 });
    await D.start();
    const added = await D.api<{ error: number; secret: string }>('add_folder', { dir: dir1 });
    secret1 = added.secret;
    assert.match(secret1, /^A[A-Z2-7]+$/);
    const set = await D.api<Prefs>('set_prefs', { upload_limit: 7, download_limit: 9, folder_rescan_interval: 42 });
    assert.equal(set.upload_limit, 7, 'set_prefs changes the running value');
    assert.equal((await D.api<Prefs>('get_prefs')).upload_limit, 7);
    await D.api('set_folder_prefs', { secret: secret1, use_sync_trash: 0 });
    await D.api('set_folder_hosts', { secret: secret1, hosts: '127.0.0.1:9,127.0.0.1:10' });

    assert.equal(await D.stop(), 0, `clean exit\n${D.output()}`);
    await D.start();

    const prefs = await D.api<Prefs>('get_prefs');
    assert.equal(prefs.upload_limit, 5, 'the config file sets upload_limit: its value wins at each start');
    assert.equal(prefs.download_limit, 9, 'download_limit is not in the config: the API value survives');
    assert.equal(prefs.folder_rescan_interval, 42);
    const folders = await D.folders();
    assert.equal(folders.length, 1);
    assert.equal(folders[0]!.dir, dir1);
    assert.equal(folders[0]!.secret, secret1);
    assert.equal(folders[0]!.error, 0);
    assert.equal((await D.api<{ use_sync_trash: number }>('get_folder_prefs', { secret: secret1 })).use_sync_trash, 0);
    assert.deepEqual((await D.api<{ hosts: string[] }>('get_folder_hosts', { secret: secret1 })).hosts, ['127.0.0.1:9', '127.0.0.1:10']);
  });

  it('kill -9 right after API changes: they survive too (settings are written before the call returns)', async () => {
    secret2 = (await D.api<{ read_write: string }>('get_secrets')).read_write;
    await D.api('add_folder', { dir: dir2, secret: secret2 });
    await D.api('set_prefs', { download_limit: 11, upload_limit: 8 });
    await D.kill9();
    assert.equal(D.exitSignal, 'SIGKILL');
    await D.start();
    const prefs = await D.api<Prefs>('get_prefs');
    assert.equal(prefs.download_limit, 11);
    assert.equal(prefs.upload_limit, 5, 'config value wins again');
    const dirs = (await D.folders()).map((f) => f.dir).sort();
    assert.deepEqual(dirs, [dir1, dir2].sort());
    for (const f of await D.folders()) assert.equal(f.error, 0, `${f.dir}: ${f.error_message}`);
  });

  it('a key removed from the config file gives way to the value last set through the API', async () => {
    assert.equal(await D.stop(), 0);
    D.writeConfig({ device_name: 'renamed-in-config' }); // upload_limit no longer in the file
    await D.start();
    const prefs = await D.api<Prefs>('get_prefs');
    assert.equal(prefs.upload_limit, 8, 'the last API value (8) applies once the file stops setting it');
    assert.equal(prefs.device_name, 'renamed-in-config');
    assert.equal((await D.folders()).length, 2, 'API folders still there');
  });
});
