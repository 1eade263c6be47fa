import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { MessageChannel } from 'node:worker_threads';
import { createEngineClient, EngineCallError, type EngineClient } from '../engine/api/rpc/client.js';
import { parseHostArgs, startEngineHost, workerLink } from '../main/engine-host/host.js';
import { parseHostToMain, type HostReady } from '../main/host-protocol.js';
import { nodeForkFn } from '../main/node-fork.js';
import { emitterPortChannel, unwrapNone } from '../main/port-channel.js';
import { EngineSupervisor, type SupervisorEvents } from '../main/supervisor.js';
import { tempDir, waitFor } from './helpers/engines.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const HOST_ENTRY = path.join(ROOT, 'main', 'engine-host.ts');
const hostArgs = (storage: string) => ['--storage', storage, '--listen-host', '127.0.0.1', '--no-lan'];
const forkHost = (storage: string) => nodeForkFn(HOST_ENTRY, hostArgs(storage), { execArgv: ['--import', 'tsx'], silent: true });

test('engine host args: --storage is required and absolute; test hooks parse', () => {
  assert.deepEqual(parseHostArgs(['--storage', '/s', '--listen-host=127.0.0.1', '--no-lan']), { storagePath: '/s', listenHost: '127.0.0.1', lan: false });
  assert.deepEqual(parseHostArgs([], { SHOAL_STORAGE: '/e' }), { storagePath: '/e', lan: true });
  assert.throws(() => parseHostArgs([]), /--storage DIR/);
  assert.throws(() => parseHostArgs(['--storage', 'rel/dir']), /absolute/);
  assert.throws(() => parseHostArgs(['--storage']), /needs a value/);
  assert.throws(() => parseHostArgs(['--storage', '/s', '--frobnicate']), /unknown argument/);
});

test('engine host as a real process: ready handshake, RPC over the parent link, clean shutdown, restart after a kill', { timeout: 90_000 }, async (t) => {
  const storage = tempDir('shoal-host-');
  const sup = new EngineSupervisor({ fork: forkHost(storage), initialBackoffMs: 100, readyTimeoutMs: 30_000 });
  t.after(() => sup.stop());
  const ready: SupervisorEvents['ready'][] = [];
  const downs: SupervisorEvents['down'][] = [];
  sup.on('ready', (r) => ready.push(r));
  sup.on('down', (d) => downs.push(d));
  sup.start();
  await waitFor('the engine host to say ready', () => ready.length === 1, 30_000);
  const hello = ready[0]!.hello;
  assert.equal(hello.storagePath, storage);
  assert.match(hello.deviceId, /^[A-Z2-7]{26}$/);
  assert.ok(hello.peerPort > 0);
  assert.equal(hello.pid, sup.current!.pid);

  const client = sup.client!;
  assert.equal((await client.call('getVersion', {})).version, JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version);
  const dir = tempDir('shoal-host-folder-');
  fs.writeFileSync(path.join(dir, 'hello.txt'), 'hi');
  const added = await client.call('addFolder', { dir });
  assert.equal(added.dir, dir);
  await assert.rejects(client.call('addFolder', { dir: 'relative/path' }), (e: unknown) => e instanceof EngineCallError && e.code === 'BAD_PATH');

  // A crash (SIGKILL): the supervisor brings it back, with the same device and folders.
  process.kill(hello.pid, 'SIGKILL');
  await waitFor('the restarted engine', () => ready.length === 2, 30_000);
  assert.match(downs[0]!.reason, /SIGKILL/);
  assert.equal(downs[0]!.expected, false);
  assert.equal(ready[1]!.hello.deviceId, hello.deviceId, 'same device identity after restart');
  assert.notEqual(ready[1]!.hello.pid, hello.pid);
  const folders = await sup.client!.call('getFolders', {});
  assert.deepEqual(folders.map((f) => f.dir), [dir]);

  // Quit: shutdown over RPC, exit code 0, no restart.
  const pid = ready[1]!.hello.pid;
  await sup.stop();
  assert.deepEqual(downs.at(-1), { reason: 'exit code 0', expected: true });
  assert.throws(() => process.kill(pid, 0));
  const log = fs.readFileSync(path.join(storage, 'sync.log'), 'utf8');
  assert.match(log, /Shoal engine host stopped/);
  assert.equal(ready.length, 2);
});

test('engine host as a real process: storage that cannot be used → "failed" with a reason, exit code 1', { timeout: 60_000 }, async () => {
  const file = path.join(tempDir('shoal-host-bad-'), 'not-a-dir');
  fs.writeFileSync(file, 'x');
  const sup = new EngineSupervisor({ fork: forkHost(file), initialBackoffMs: 50, maxFastCrashes: 2 });
  let error: Error | null = null;
  sup.on('gaveUp', (g) => (error = g.error));
  sup.start();
  await waitFor('the supervisor to give up', () => sup.state === 'failed', 40_000);
  assert.match(String((error as Error | null)?.message), /IO_ERROR: Cannot use the storage folder .*not-a-dir.*\(exit code 1\)/);
});

test('engine host as a real process: SIGTERM (utilityProcess.kill on POSIX) stops the engine cleanly', { timeout: 60_000 }, async () => {
  const storage = tempDir('shoal-host-term-');
  const child = forkHost(storage)();
  let ready = false;
  let exit: number | null | undefined;
  child.onMessage((m) => (ready ||= parseHostToMain(m)?.host === 'ready'));
  child.onExit((code) => (exit = code));
  await waitFor('ready', () => ready, 30_000);
  process.kill(child.pid!, 'SIGTERM');
  await waitFor('exit after SIGTERM', () => exit !== undefined, 10_000);
  assert.equal(exit, 0);
  assert.match(fs.readFileSync(path.join(storage, 'sync.log'), 'utf8'), /Stopping on SIGTERM[\s\S]*Shoal engine host stopped/);
});

/** The in-process host on a real MessageChannel, as the utility process runs it. */
async function hostOnPorts(t: { after(fn: () => unknown): void }) {
  const storage = tempDir('shoal-host-ports-');
  const link = new MessageChannel();
  const hostP = startEngineHost(workerLink(link.port1), {
    storagePath: storage,
    listenHost: '127.0.0.1',
    lan: false,
    config: { disk_low_priority: false },
    logEcho: null,
  });
  const hello = await new Promise<HostReady>((resolve) => {
    link.port2.on('message', (m) => {
      const h = parseHostToMain(m);
      if (h?.host === 'ready') resolve(h);
    });
  });
  const host = (await hostP)!;
  assert.ok(host, 'host started');
  t.after(async () => {
    await host.stop();
    link.port1.close();
  });
  // main's own client: the parent link itself (host control messages are ignored by the client)
  const mainClient = createEngineClient(emitterPortChannel(link.port2, unwrapNone));
  const connectWindow = (): EngineClient => {
    const { port1, port2 } = new MessageChannel();
    link.port2.postMessage({ host: 'connect', port: port1 }, [port1]);
    return createEngineClient(emitterPortChannel(port2, unwrapNone));
  };
  return { hello, host, mainClient, connectWindow, storage };
}

test('engine host over real MessagePorts: each window port is served, events flow, windows cannot shut the engine down', { timeout: 60_000 }, async (t) => {
  const { host, mainClient, connectWindow } = await hostOnPorts(t);
  const w1 = connectWindow();
  const w2 = connectWindow();
  assert.equal((await w1.call('getVersion', {})).version, (await mainClient.call('getVersion', {})).version);

  const seen1: unknown[] = [];
  const seen2: unknown[] = [];
  w1.on('foldersChanged', (p) => seen1.push(p));
  w2.on('uiPrefs', (p) => seen2.push(p));
  const dir = tempDir('shoal-host-win-');
  await w2.call('addFolder', { dir });
  await waitFor('foldersChanged on the other window', () => seen1.length > 0, 5000);
  assert.deepEqual(seen1[0], { reason: 'added' });
  const prefs = await w1.call('setUiPrefs', { prefs: { notify_conflicts: false } });
  assert.equal(prefs.notify_conflicts, false);
  await waitFor('uiPrefs event', () => seen2.length > 0, 5000);

  await assert.rejects(w1.call('shutdown', {}), (e: unknown) => e instanceof EngineCallError && e.code === 'UNAUTHORIZED');
  await assert.rejects(w1.call('getFolders', { secret: 7 } as never), (e: unknown) => e instanceof EngineCallError && e.code === 'BAD_REQUEST');
  await assert.rejects(w1.call('noSuchMethod' as never, {} as never), (e: unknown) => e instanceof EngineCallError && e.code === 'UNKNOWN_METHOD');

  // A window going away does not disturb the others.
  w2.close();
  assert.equal((await w1.call('getFolders', {})).length, 1);

  // main may shut down: the engine stops and the window's connection ends.
  let w1Closed = false;
  w1.onClose(() => (w1Closed = true));
  assert.deepEqual(await mainClient.call('shutdown', {}), { stopping: true });
  await host.closed;
  await waitFor('the window connection to end', () => w1Closed, 5000);
});
