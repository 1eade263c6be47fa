import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { startHttpServer } from '../engine/daemon/http.js';
import { FailureLimiter } from '../engine/daemon/http-guard.js';
import { MemoryLogger } from '../engine/daemon/log.js';
import type { ApiTarget } from '../engine/daemon/types.js';
import { SESSION_IDLE_MS, SessionStore } from '../engine/daemon/webui/sessions.js';
import { createWebUi } from '../engine/daemon/webui/webui.js';
import { waitFor } from './helpers/engines.js';
import { LOGIN, PASSWORD, loginCookie, request, tryWebSocket } from './helpers/webui.js';

/**
 * The Web UI's sockets over time, on a real HTTP server with a fake engine and a fake clock:
 * sessions that expire close their sockets with 4001 (the page goes to the login form), and
 * a peer that stops answering keepalive pings is dropped.
 */

describe('Web UI sockets: keepalive and session expiry (fast clock, fake engine)', () => {
  const target: ApiTarget = { call: async () => ({ os: 'fake' }) as never, on: () => () => {} };
  let now = 1_000_000;
  const sessions = new SessionStore(SESSION_IDLE_MS, 64, () => now);
  const webui = { listen: '127.0.0.1:0', login: LOGIN, password: PASSWORD };
  const limiter = new FailureLimiter();
  const log = new MemoryLogger();
  const ui = createWebUi({ target, webui, log, limiter, rendererDir: '/nonexistent', sessions, pingEveryMs: 100 });
  let port = 0;
  let close: () => Promise<void> = async () => {};
  before(async () => {
    const server = await startHttpServer({ target, webui, log, limiter, mounts: { '/gui': ui.mount }, sessionAuth: ui.sessionAuth });
    port = server.port;
    close = () => server.close();
  });
  after(() => close());

  it('a socket whose session expired is closed with 4001, which tells the page to sign in again', async () => {
    const cookie = await loginCookie(port);
    const o = await tryWebSocket(port, { cookie });
    assert.ok(o.ok);
    const closed = new Promise<number>((resolve) => o.ws.once('close', (code) => resolve(code)));
    now += SESSION_IDLE_MS + 1;
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([closed, new Promise<string>((r) => (timer = setTimeout(() => r('still open'), 10_000)))]);
    clearTimeout(timer);
    assert.equal(code, 4001);
    assert.equal((await request(port, '/gui/', { headers: { cookie } })).status, 303);
  });

  it('a peer that stops answering pings is dropped', async () => {
    const cookie = await loginCookie(port);
    const ws = new WebSocket(`ws://127.0.0.1:${port}/gui/ws`, { origin: `http://127.0.0.1:${port}`, headers: { cookie }, autoPong: false });
    await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
    assert.equal(ui.sockets.count, 1);
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([closed, new Promise<string>((r) => (timer = setTimeout(() => r('still open'), 10_000)))]);
    clearTimeout(timer);
    assert.equal(code, 1006, 'terminated without a close frame');
    await waitFor('the server forgot it', () => ui.sockets.count === 0, 5000);
  });
});
