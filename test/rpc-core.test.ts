import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { EngineEvents, EventName, MethodName, MethodParams, MethodResult } from '../engine/api/contract.js';
import { MAX_PENDING_CALLS, type Channel, type RpcMessage } from '../engine/api/rpc/channel.js';
import { EngineCallError, createEngineClient, type EngineClient } from '../engine/api/rpc/client.js';
import { inProcessPair } from '../engine/api/rpc/in-process.js';
import { serveEngine } from '../engine/api/rpc/server.js';
import type { ApiTarget } from '../engine/daemon/types.js';
import { ShoalError } from '../engine/errors.js';
import { generateSecret } from '../engine/secrets/secret.js';
import { startEngine, tempDir, waitFor, type TestEngine } from './helpers/engines.js';

/**
 * The RPC core (channel, generic server, typed client) over an in-process pair: against the
 * real Engine for calls, errors and events, and against small ApiTarget fakes for what the
 * engine cannot be made to do on demand (never answering, throwing unexpectedly).
 */

/** Waits until `p` settles or `ms` passes; the failure names what was awaited. */
async function within<T>(what: string, p: Promise<T>, ms = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms)));
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function rejectsWith(p: Promise<unknown>, code: string, message?: RegExp): Promise<EngineCallError> {
  const err = await within(`a ${code} rejection`, p.then(
    (v) => assert.fail(`expected ${code}, got the value ${JSON.stringify(v)}`),
    (e: unknown) => e,
  ));
  assert.ok(err instanceof EngineCallError, `an EngineCallError, got ${String(err)}`);
  assert.equal(err.code, code, err.message);
  if (message) assert.match(err.message, message);
  return err;
}

/** A fake target: handlers per method; the rest never answer (for in-flight limits) unless told. */
class FakeTarget implements ApiTarget {
  readonly calls: { method: string; params: unknown }[] = [];
  private readonly listeners = new Map<string, Set<(p: unknown) => void>>();
  handlers: { [M in MethodName]?: (p: MethodParams<M>) => MethodResult<M> | Promise<MethodResult<M>> } = {};

  async call<M extends MethodName>(method: M, params: MethodParams<M>): Promise<MethodResult<M>> {
    this.calls.push({ method, params });
    const h = this.handlers[method] as ((p: MethodParams<M>) => MethodResult<M>) | undefined;
    if (!h) return new Promise<never>(() => {});
    return h(params);
  }
  on<E extends EventName>(event: E, fn: (payload: EngineEvents[E]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(fn as (p: unknown) => void);
    return () => set.delete(fn as (p: unknown) => void);
  }
  emit<E extends EventName>(event: E, payload: EngineEvents[E]): void {
    for (const fn of this.listeners.get(event) ?? []) fn(payload);
  }
  listenerCount(): number {
    let n = 0;
    for (const s of this.listeners.values()) n += s.size;
    return n;
  }
}

/** Everything one end of a pair receives. */
function record(ch: Channel): unknown[] {
  const got: unknown[] = [];
  ch.onMessage((m) => got.push(m));
  return got;
}

describe('RPC core against the real Engine (in-process pair)', () => {
  let t: TestEngine;
  let client: EngineClient;
  const root = tempDir('shoal-rpc-core-');

  before(async () => {
    t = await startEngine({ name: 'rpc', storage: path.join(root, 'storage') });
    const [a, b] = inProcessPair();
    serveEngine(t.engine, b);
    client = createEngineClient(a);
  });
  after(async () => {
    client?.close();
    await t?.engine.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('calls return typed results', async () => {
    const os = await client.call('getOs', {});
    assert.equal(typeof os.os, 'string');
    assert.ok(os.os.length > 0);
    const prefs = await client.call('getPrefs', {});
    assert.equal(prefs.device_name, 'rpc');
    assert.equal(typeof prefs.listening_port, 'number');
    const secrets = await client.call('generateSecret', {});
    assert.match(secrets.read_write ?? '', /^A[A-Z2-7]{32}$/);
    assert.match(secrets.read_only, /^B/);
  });

  it('engine failures arrive as EngineCallError with the stable code and a readable message', async () => {
    const err = await rejectsWith(client.call('getFolderPrefs', { secret: generateSecret() }), 'FOLDER_NOT_FOUND');
    assert.ok(err.message.length > 0);
    assert.doesNotMatch(err.message, /\bat\s|\.ts:\d+/, 'no stack trace crosses');
    await rejectsWith(client.call('addFolder', { dir: 'relative/dir' }), 'BAD_PATH');
  });

  it('bad params: BAD_REQUEST naming the problem, and the engine is not called', async () => {
    await rejectsWith(client.call('getFolderPrefs', {} as never), 'BAD_REQUEST', /getFolderPrefs: secret: expected string/);
    await rejectsWith(client.call('getFolderPrefs', { secret: generateSecret(), extra: 1 } as never), 'BAD_REQUEST', /unknown parameter "extra"/);
    await rejectsWith(client.call('setFolderPrefs', { secret: 'A', prefs: { use_dth: true } } as never), 'BAD_REQUEST', /unknown parameter "prefs\.use_dth"/);
    await rejectsWith(client.call('setPrefs', { prefs: { listening_port: 99999 } }), 'BAD_REQUEST', /prefs\.listening_port: must be a port number/);
    await rejectsWith(client.call('getOs', 5 as never), 'BAD_REQUEST', /getOs: params: expected object/);
    await rejectsWith(client.call('setPaused', { paused: 'yes' } as never), 'BAD_REQUEST', /paused: expected boolean/);
  });

  it('an unknown method: UNKNOWN_METHOD', async () => {
    await rejectsWith(client.call('makeCoffee' as MethodName, {} as never), 'UNKNOWN_METHOD', /Unknown method "makeCoffee"/);
    await rejectsWith(client.call('__proto__' as MethodName, {} as never), 'UNKNOWN_METHOD');
    await rejectsWith(client.call('constructor' as MethodName, {} as never), 'UNKNOWN_METHOD');
  });

  it('engine events reach the client', async () => {
    const dir = path.join(root, 'shared');
    fs.mkdirSync(dir);
    const states: EngineEvents['folderState'][] = [];
    const added: EngineEvents['fileAdded'][] = [];
    const offState = client.on('folderState', (p) => states.push(p));
    client.on('fileAdded', (p) => added.push(p));
    const secret = generateSecret();
    const info = await client.call('addFolder', { dir, secret });
    assert.equal(info.dir, dir);
    assert.equal(info.type, 'read_write');
    // A file saved once the new folder's first scan is done is a change, reported as one.
    await waitFor('the first scan of the folder', () => states.some((p) => p.dir === dir && !p.indexing), 20_000);
    fs.writeFileSync(path.join(dir, 'hello.txt'), 'hello over rpc');
    await waitFor('fileAdded hello.txt over the channel', () => added.some((e) => e.path === 'hello.txt'), 20_000);
    assert.ok(states.length > 0, 'folderState events arrived');
    assert.equal(added.find((e) => e.path === 'hello.txt')?.size, 'hello over rpc'.length);
    offState();
    const folders = await client.call('getFolders', {});
    assert.deepEqual(folders.map((f) => f.secret), [secret]);
    assert.deepEqual(await client.call('removeFolder', { secret }), { removed: true });
  });

  it('junk messages are ignored and the server keeps answering', async () => {
    const junk: unknown[] = [
      null,
      42,
      'call',
      [],
      { t: 'call' },
      { t: 'call', id: -1, method: 'getOs', params: {} },
      { t: 'call', id: 1.5, method: 'getOs', params: {} },
      { t: 'call', id: 'x', method: 'getOs', params: {} },
      { t: 'call', id: 7, method: 'm'.repeat(65), params: {} },
      { t: 'call', id: 8, method: 42, params: {} },
      { t: 'result', id: 1, value: 'spoof' },
      { t: 'event', name: 'status', payload: {} },
      { t: 'nope', id: 1 },
    ];
    const [a, b] = inProcessPair();
    const stop = serveEngine(t.engine, b);
    const replies = record(a);
    for (const j of junk) a.send(j as RpcMessage);
    a.send({ t: 'call', id: 99, method: 'getOs', params: {} });
    await waitFor('the answer to the good call', () => replies.some((r) => (r as { id?: number }).id === 99), 10_000);
    const answers = replies.filter((r) => (r as { t: string }).t !== 'event');
    assert.deepEqual(answers.map((r) => (r as { id: number }).id), [99], 'only the valid call was answered');
    stop.stop();
    a.close();
  });
});

describe('RPC core against fakes', () => {
  it('a deny list refuses those methods with UNAUTHORIZED and never calls the target', async () => {
    const target = new FakeTarget();
    target.handlers.getOs = () => ({ os: 'fake' });
    target.handlers.shutdown = () => ({ stopping: true });
    const [a, b] = inProcessPair();
    serveEngine(target, b, { deny: ['shutdown', 'removeFolder'] });
    const client = createEngineClient(a);
    await rejectsWith(client.call('shutdown', {}), 'UNAUTHORIZED', /"shutdown" cannot be called from here/);
    await rejectsWith(client.call('removeFolder', { secret: 'A' }), 'UNAUTHORIZED');
    assert.deepEqual(await client.call('getOs', {}), { os: 'fake' });
    assert.deepEqual(target.calls.map((c) => c.method), ['getOs']);
    client.close();
  });

  it('unexpected failures: INTERNAL without internals, reported to onInternalError', async () => {
    const target = new FakeTarget();
    target.handlers.getSpeed = () => {
      throw new TypeError('cannot read x of undefined at /home/me/engine.ts:12');
    };
    target.handlers.getOs = () => {
      throw new ShoalError('IO_ERROR', 'Disk trouble.');
    };
    const reported: string[] = [];
    const [a, b] = inProcessPair();
    serveEngine(target, b, { onInternalError: (_err, method) => reported.push(method) });
    const client = createEngineClient(a);
    const err = await rejectsWith(client.call('getSpeed', {}), 'INTERNAL', /^Internal error$/);
    assert.doesNotMatch(err.message, /engine\.ts|undefined/);
    await rejectsWith(client.call('getOs', {}), 'IO_ERROR', /^Disk trouble\.$/);
    assert.deepEqual(reported, ['getSpeed'], 'only the unexpected failure is reported');
    client.close();
  });

  it('a result that cannot cross becomes an error instead of a call that never returns', async () => {
    const target = new FakeTarget();
    target.handlers.getOs = () => ({ os: 'x', fn: () => 1 }) as never;
    const [a, b] = inProcessPair();
    serveEngine(target, b);
    const client = createEngineClient(a);
    await rejectsWith(client.call('getOs', {}), 'INTERNAL');
    // And params that cannot cross are refused at once on the client side.
    await rejectsWith(client.call('getFolders', { secret: (() => 1) as never }), 'BAD_REQUEST', /cannot be sent/);
    client.close();
  });

  it('events go to every listener, and unsubscribing stops only that one', async () => {
    const target = new FakeTarget();
    const [a, b] = inProcessPair();
    serveEngine(target, b);
    const client = createEngineClient(a);
    const seen: number[] = [];
    const seen2: number[] = [];
    const off = client.on('speed', (p) => seen.push(p.download));
    client.on('speed', (p) => seen2.push(p.download));
    target.emit('speed', { download: 1, upload: 0, peers: [] });
    await waitFor('first event', () => seen.length === 1 && seen2.length === 1, 5000);
    off();
    target.emit('speed', { download: 2, upload: 0, peers: [] });
    await waitFor('second event', () => seen2.length === 2, 5000);
    assert.deepEqual(seen, [1]);
    assert.deepEqual(seen2, [1, 2]);
    client.close();
  });

  it('closing the channel rejects pending calls with SHUTTING_DOWN and stops the server', async () => {
    const target = new FakeTarget(); // getStatus never answers
    const [a, b] = inProcessPair();
    serveEngine(target, b);
    assert.equal(target.listenerCount(), 17, 'the server listens to every event');
    const client = createEngineClient(a);
    let closedSeen = 0;
    client.onClose(() => closedSeen++);
    const pending = [client.call('getStatus', {}), client.call('getDevices', {})];
    await waitFor('the calls reached the target', () => target.calls.length === 2, 5000);
    a.close();
    for (const p of pending) await rejectsWith(p, 'SHUTTING_DOWN');
    assert.equal(client.closed, true);
    assert.equal(closedSeen, 1);
    await rejectsWith(client.call('getOs', {}), 'SHUTTING_DOWN');
    await waitFor('the server unsubscribed from events', () => target.listenerCount() === 0, 5000);
  });

  it('the other side closing rejects pending calls too', async () => {
    const target = new FakeTarget();
    const [a, b] = inProcessPair();
    serveEngine(target, b);
    const client = createEngineClient(a);
    const p = client.call('getStatus', {});
    await waitFor('the call reached the target', () => target.calls.length === 1, 5000);
    b.close();
    await rejectsWith(p, 'SHUTTING_DOWN');
  });

  it('too many calls in flight: the client refuses beyond MAX_PENDING_CALLS', async () => {
    const target = new FakeTarget();
    const [a, b] = inProcessPair();
    serveEngine(target, b);
    const client = createEngineClient(a);
    const hanging = Array.from({ length: MAX_PENDING_CALLS }, () => client.call('getStatus', {}).catch((e: unknown) => e));
    await rejectsWith(client.call('getOs', {}), 'BAD_REQUEST', /Too many calls in flight/);
    client.close();
    const results = await within('all hanging calls settle on close', Promise.all(hanging));
    assert.ok(results.every((e) => e instanceof EngineCallError && e.code === 'SHUTTING_DOWN'));
  });

  it('too many calls in flight: the server refuses beyond MAX_PENDING_CALLS from a client that ignores the limit', async () => {
    const target = new FakeTarget();
    const [a, b] = inProcessPair();
    serveEngine(target, b);
    const replies = record(a);
    for (let id = 1; id <= MAX_PENDING_CALLS + 5; id++) a.send({ t: 'call', id, method: 'getStatus', params: {} });
    await waitFor('five refusals', () => replies.length === 5, 10_000);
    for (const r of replies) {
      const m = r as Extract<RpcMessage, { t: 'error' }>;
      assert.equal(m.t, 'error');
      assert.ok(m.id > MAX_PENDING_CALLS);
      assert.deepEqual(m.error, { code: 'BAD_REQUEST', message: 'Too many calls in flight.' });
    }
    assert.equal(target.calls.length, MAX_PENDING_CALLS, 'the target saw only the allowed calls');
    a.close();
  });

  it('a channel closed before it is served does not leak the event subscriptions', async () => {
    const target = new FakeTarget();
    const [a, b] = inProcessPair();
    a.close();
    await waitFor('b closed', () => new Promise<boolean>((r) => b.onClose(() => r(true))), 5000);
    serveEngine(target, b);
    await waitFor('the server unsubscribed', () => target.listenerCount() === 0, 5000);
  });
});
