import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import type { MethodName, MethodParams, MethodResult } from '../engine/api/contract.js';
import { MAX_MESSAGE_BYTES } from '../engine/api/rpc/channel.js';
import { EngineCallError, createEngineClient } from '../engine/api/rpc/client.js';
import { serveEngine } from '../engine/api/rpc/server.js';
import { webSocketChannel, type WebSocketLike } from '../engine/api/rpc/websocket-channel.js';
import type { ApiTarget } from '../engine/daemon/types.js';
import { waitFor } from './helpers/engines.js';

/**
 * The WebSocket channel on real sockets (a `ws` server on 127.0.0.1, the `ws` client): JSON
 * text frames, calls queued until the socket opens, frames the protocol does not allow
 * ignored, size limits both ways, and close in either direction.
 */

class Target implements ApiTarget {
  big = 0;
  async call<M extends MethodName>(method: M, params: MethodParams<M>): Promise<MethodResult<M>> {
    if (method === 'getOs') return { os: 'ws-test' } as MethodResult<M>;
    if (method === 'getFolders') return [{ dir: 'x'.repeat(this.big) }] as unknown as MethodResult<M>;
    if (method === 'getHistory') return new Promise<never>(() => {}); // never answers
    if (method === 'getFolderPrefs') return { echo: (params as { secret: string }).secret.length } as unknown as MethodResult<M>;
    throw new Error('not in the fake');
  }
  on(): () => void {
    return () => {};
  }
}

describe('webSocketChannel over real sockets', () => {
  let wss: WebSocketServer;
  let url = '';
  const target = new Target();
  const serverSockets: WebSocket[] = [];

  before(async () => {
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: MAX_MESSAGE_BYTES });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
    wss.on('connection', (ws) => {
      serverSockets.push(ws);
      serveEngine(target, webSocketChannel(ws));
    });
  });
  after(async () => {
    for (const ws of serverSockets) ws.terminate();
    await new Promise<void>((r) => wss.close(() => r()));
  });

  it('calls made before the socket opens are queued and answered', async () => {
    const ws = new WebSocket(url);
    assert.equal(ws.readyState, WebSocket.CONNECTING);
    const client = createEngineClient(webSocketChannel(ws));
    const answers = await Promise.all([client.call('getOs', {}), client.call('getOs', {})]);
    assert.deepEqual(answers, [{ os: 'ws-test' }, { os: 'ws-test' }]);
    client.close();
  });

  it('frames are JSON text: binary frames and junk text are ignored by the server', async () => {
    const ws = new WebSocket(url);
    await new Promise((r) => ws.once('open', r));
    const got: unknown[] = [];
    ws.on('message', (data, isBinary) => got.push(isBinary ? 'binary!' : JSON.parse(String(data))));
    ws.send(Buffer.from(JSON.stringify({ t: 'call', id: 1, method: 'getOs', params: {} })));
    ws.send('{"t":"call","id":2,');
    ws.send('[]');
    ws.send(JSON.stringify({ t: 'call', id: 3, method: 'getOs', params: {} }));
    await waitFor('the answer to call 3', () => got.length > 0, 10_000);
    assert.deepEqual(got, [{ t: 'result', id: 3, value: { os: 'ws-test' } }]);
    ws.close();
  });

  it('an answer too large for the limit arrives as an error instead of never', async () => {
    const client = createEngineClient(webSocketChannel(new WebSocket(url)));
    target.big = MAX_MESSAGE_BYTES;
    const err = await client.call('getFolders', {}).catch((e: unknown) => e);
    assert.ok(err instanceof EngineCallError);
    assert.equal(err.code, 'INTERNAL');
    assert.match(err.message, /too large/);
    target.big = MAX_MESSAGE_BYTES - 1000;
    const ok = await client.call('getFolders', {});
    assert.equal(ok.length, 1);
    client.close();
  });

  it('a call too large to send is refused at once on the client side', async () => {
    const client = createEngineClient(webSocketChannel(new WebSocket(url)));
    await client.call('getOs', {});
    const err = await client.call('getFolderPrefs', { secret: 'é'.repeat(MAX_MESSAGE_BYTES / 2) }).catch((e: unknown) => e);
    assert.ok(err instanceof EngineCallError);
    assert.equal(err.code, 'BAD_REQUEST');
    assert.equal((await client.call('getOs', {})).os, 'ws-test', 'the connection is still fine');
    client.close();
  });

  it('the server going away rejects pending calls and reports the close once', async () => {
    const before = serverSockets.length;
    const client = createEngineClient(webSocketChannel(new WebSocket(url)));
    let closes = 0;
    client.onClose(() => closes++);
    const pending = client.call('getHistory', {});
    await waitFor('the server socket', () => serverSockets.length > before, 10_000);
    await client.call('getOs', {});
    serverSockets.at(-1)!.close(1001, 'going away');
    const err = await pending.catch((e: unknown) => e);
    assert.ok(err instanceof EngineCallError);
    assert.equal(err.code, 'SHUTTING_DOWN');
    assert.equal(client.closed, true);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(closes, 1);
  });

  it('a socket that never connects ends the channel (error, then close)', async () => {
    const client = createEngineClient(webSocketChannel(new WebSocket('ws://127.0.0.1:1')));
    const err = await client.call('getOs', {}).catch((e: unknown) => e);
    assert.ok(err instanceof EngineCallError);
    assert.equal(err.code, 'SHUTTING_DOWN');
  });
});

describe('webSocketChannel on a fake socket', () => {
  /** Just enough of a WebSocket to drive the channel by hand. */
  class FakeSocket implements WebSocketLike {
    readyState = 1;
    sent: string[] = [];
    closedWith: number | undefined;
    private fns = new Map<string, ((ev: { data: unknown }) => void)[]>();
    send(data: string) {
      this.sent.push(data);
    }
    close(code?: number) {
      this.closedWith = code;
      this.readyState = 3;
    }
    addEventListener(type: string, fn: (ev: { data: unknown }) => void) {
      this.fns.set(type, [...(this.fns.get(type) ?? []), fn]);
    }
    fire(type: string, data?: unknown) {
      for (const fn of this.fns.get(type) ?? []) fn({ data });
    }
  }

  it('drops binary, oversized and non-JSON frames; passes JSON text on', () => {
    const ws = new FakeSocket();
    const ch = webSocketChannel(ws);
    const got: unknown[] = [];
    ch.onMessage((m) => got.push(m));
    ws.fire('message', new ArrayBuffer(4));
    ws.fire('message', Buffer.from('{"t":"event"}'));
    ws.fire('message', 'nope');
    ws.fire('message', JSON.stringify({ pad: 'x'.repeat(MAX_MESSAGE_BYTES) }));
    ws.fire('message', JSON.stringify({ pad: '€'.repeat(MAX_MESSAGE_BYTES / 3) })); // few chars, too many bytes
    ws.fire('message', '{"t":"event","name":"status","payload":1}');
    assert.deepEqual(got, [{ t: 'event', name: 'status', payload: 1 }]);
  });

  it('an oversized event is dropped, not sent', () => {
    const ws = new FakeSocket();
    const ch = webSocketChannel(ws);
    ch.send({ t: 'event', name: 'history', payload: 'x'.repeat(MAX_MESSAGE_BYTES) });
    assert.deepEqual(ws.sent, []);
    ch.send({ t: 'event', name: 'history', payload: 'small' });
    assert.equal(ws.sent.length, 1);
  });

  it('close() closes the socket, notifies once, and nothing is sent afterwards', async () => {
    const ws = new FakeSocket();
    const ch = webSocketChannel(ws);
    let n = 0;
    ch.onClose(() => n++);
    ch.close();
    ws.fire('close');
    ch.send({ t: 'result', id: 1, value: 1 });
    assert.equal(ws.closedWith, 1000);
    assert.equal(n, 1);
    assert.deepEqual(ws.sent, []);
    // Subscribing after the end still hears about it.
    let late = 0;
    ch.onClose(() => late++);
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(late, 1);
  });
});
