import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { EngineEvents } from '../engine/api/contract.js';
import { EngineCallError, createEngineClient, type EngineClient } from '../engine/api/rpc/client.js';
import { webSocketChannel } from '../engine/api/rpc/websocket-channel.js';
import { CONTENT_SECURITY_POLICY } from '../engine/daemon/webui/responses.js';
import { generateSecret } from '../engine/secrets/secret.js';
import { Sandbox, cleanupDaemons, makeDaemon, type Daemon } from './helpers/daemons.js';
import { tempDir, waitFor } from './helpers/engines.js';
import {
  FIXTURE_CSS,
  FIXTURE_INDEX,
  FIXTURE_JS,
  LOGIN,
  PASSWORD,
  loginCookie,
  postLogin,
  request,
  startWebUiDaemon,
  tryWebSocket,
  writeFixtureRenderer,
  type Reply,
  type WebUiDaemon,
} from './helpers/webui.js';

/**
 * The Web UI of a real daemon (runDaemonWith + Engine, in process) over real sockets: the
 * login flow and its cookie, the static renderer files and their headers, the WebSocket
 * carrying the typed contract (calls, errors, events), logout and shutdown closing sockets.
 */

const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

function assertStrictHeaders(r: Reply, what: string): void {
  assert.equal(r.headers['content-security-policy'], CSP, what);
  assert.equal(r.headers['x-content-type-options'], 'nosniff', what);
  assert.equal(r.headers['referrer-policy'], 'no-referrer', what);
  assert.equal(r.headers['x-frame-options'], 'DENY', what);
  assert.ok(r.headers['cache-control'], `${what}: Cache-Control`);
}

/** Resolves when `client` reports its connection closed (bounded). */
function closedWithin(client: EngineClient, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    if (client.closed) return resolve();
    const t = setTimeout(() => reject(new Error('the client was not closed in time')), ms);
    client.onClose(() => {
      clearTimeout(t);
      resolve();
    });
  });
}

async function wsClient(port: number, cookie?: string): Promise<EngineClient> {
  const o = await tryWebSocket(port, { cookie });
  if (!o.ok) throw new Error(`WebSocket refused: ${o.status} ${o.body}`);
  return createEngineClient(webSocketChannel(o.ws));
}

describe('Web UI with a login and password', () => {
  const root = tempDir('shoal-webui-');
  const rendererDir = path.join(root, 'renderer-dist');
  let d: WebUiDaemon;

  before(async () => {
    writeFixtureRenderer(rendererDir);
    d = await startWebUiDaemon({ home: path.join(root, 'home'), rendererDir, webui: { login: LOGIN, password: PASSWORD } });
  });
  after(async () => {
    try {
      if (d) assert.equal(await d.stop(), 0, 'the daemon stopped cleanly');
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('the CSP constant is the one the pages send', () => assert.equal(CONTENT_SECURITY_POLICY, CSP));

  it('the bare daemon address leads to the Web UI', async () => {
    const r = await request(d.port, '/');
    assert.equal(r.status, 303);
    assert.equal(r.headers.location, '/gui/');
  });

  it('without a session, /gui and /gui/ redirect to the login page', async () => {
    for (const p of ['/gui', '/gui/', '/gui/index.html', '/gui/assets/app-1a2b3c.js']) {
      const r = await request(d.port, p);
      assert.equal(r.status, 303, p);
      assert.equal(r.headers.location, '/gui/login', p);
      assert.equal(r.headers['set-cookie'], undefined, p);
      assertStrictHeaders(r, p);
    }
  });

  it('the login page is a plain form without any script, under the strict headers', async () => {
    const r = await request(d.port, '/gui/login');
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(r.headers['cache-control'], 'no-store');
    assertStrictHeaders({ ...r, headers: { ...r.headers, 'referrer-policy': 'no-referrer' } }, 'login page');
    // Under no-referrer a browser posts the form with `Origin: null`, which the origin check
    // refuses; same-origin sends the real Origin and still nothing to other sites.
    assert.equal(r.headers['referrer-policy'], 'same-origin');
    assert.match(r.text, /<form method="post" action="\/gui\/login">/);
    assert.match(r.text, /name="login"/);
    assert.match(r.text, /name="password" type="password"/);
    assert.doesNotMatch(r.text, /<script/i);
    assert.doesNotMatch(r.text, /\son[a-z]+=/i, 'no inline event handlers');
  });

  it('logging in sets an HttpOnly SameSite=Strict session cookie on /gui and redirects to /gui/', async () => {
    const r = await postLogin(d.port, LOGIN, PASSWORD);
    assert.equal(r.status, 303);
    assert.equal(r.headers.location, '/gui/');
    const cookies = r.headers['set-cookie'] ?? [];
    assert.equal(cookies.length, 1);
    assert.match(cookies[0]!, /^shoal_session=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\/gui$/);
    assert.doesNotMatch(cookies[0]!, /Secure|Domain|Expires|Max-Age/i);
    const again = await postLogin(d.port, LOGIN, PASSWORD);
    assert.notEqual(again.headers['set-cookie']?.[0], cookies[0], 'every login gets a fresh random session');
  });

  it('works with fetch and redirect: manual, as a browser form post would', async () => {
    const r = await fetch(`${d.base}/gui/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ login: LOGIN, password: PASSWORD }),
    });
    assert.equal(r.status, 303);
    assert.equal(r.headers.get('location'), '/gui/');
    const cookie = r.headers.getSetCookie()[0]!.split(';')[0]!;
    const page = await fetch(`${d.base}/gui/`, { redirect: 'manual', headers: { cookie } });
    assert.equal(page.status, 200);
    assert.equal(await page.text(), FIXTURE_INDEX);
  });

  it('with the session: index.html at /gui/, assets with their types and cache rules', async () => {
    const cookie = await loginCookie(d.port);
    const index = await request(d.port, '/gui/', { headers: { cookie } });
    assert.equal(index.status, 200);
    assert.equal(index.text, FIXTURE_INDEX);
    assert.equal(index.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(index.headers['cache-control'], 'no-cache');
    assertStrictHeaders(index, 'index');
    assert.equal((await request(d.port, '/gui/index.html', { headers: { cookie } })).text, FIXTURE_INDEX);
    const bare = await request(d.port, '/gui', { headers: { cookie } });
    assert.equal(bare.status, 303, 'relative asset URLs need the trailing slash');
    assert.equal(bare.headers.location, '/gui/');

    const cases: Array<[string, string, string]> = [
      ['/gui/assets/app-1a2b3c.js', 'text/javascript; charset=utf-8', FIXTURE_JS],
      ['/gui/assets/style-4d5e6f.css', 'text/css; charset=utf-8', FIXTURE_CSS],
      ['/gui/favicon.svg', 'image/svg+xml', '<svg xmlns="http://www.w3.org/2000/svg"/>'],
    ];
    for (const [p, type, body] of cases) {
      const r = await request(d.port, p, { headers: { cookie } });
      assert.equal(r.status, 200, p);
      assert.equal(r.headers['content-type'], type, p);
      assert.equal(r.text, body, p);
      assert.equal(r.headers['content-length'], String(Buffer.byteLength(body)), p);
      assertStrictHeaders(r, p);
    }
    assert.equal((await request(d.port, '/gui/assets/app-1a2b3c.js', { headers: { cookie } })).headers['cache-control'], 'private, max-age=31536000, immutable');
    assert.equal((await request(d.port, '/gui/favicon.svg', { headers: { cookie } })).headers['cache-control'], 'no-cache');
    const bin = await request(d.port, '/gui/data.bin', { headers: { cookie } });
    assert.equal(bin.headers['content-type'], 'application/octet-stream');
    assert.deepEqual([...bin.body], [0, 1, 2, 3]);

    const head = await request(d.port, '/gui/assets/app-1a2b3c.js', { method: 'HEAD', headers: { cookie } });
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], String(FIXTURE_JS.length));
    assert.equal(head.body.length, 0);

    const missing = await request(d.port, '/gui/nope.js', { headers: { cookie } });
    assert.equal(missing.status, 404);
    assertStrictHeaders(missing, '404');
    const post = await request(d.port, '/gui/index.html', { method: 'POST', headers: { cookie } });
    assert.equal(post.status, 405);
  });

  it('the login page sends a signed-in browser on to /gui/', async () => {
    const cookie = await loginCookie(d.port);
    const r = await request(d.port, '/gui/login', { headers: { cookie } });
    assert.equal(r.status, 303);
    assert.equal(r.headers.location, '/gui/');
  });

  it('/api accepts the session cookie as well as Basic auth', async () => {
    const cookie = await loginCookie(d.port);
    const r = await request(d.port, '/api?method=get_os', { headers: { cookie } });
    assert.equal(r.status, 200, r.text);
    assert.equal(typeof JSON.parse(r.text).os, 'string');
    assert.equal((await request(d.port, '/api?method=get_os')).status, 401);
  });

  it('the WebSocket carries the typed contract: results, errors as { code, message }, events, the browser deny list', async () => {
    const cookie = await loginCookie(d.port);
    const client = await wsClient(d.port, cookie);
    try {
      const os = await client.call('getOs', {});
      assert.equal(typeof os.os, 'string');
      const prefs = await client.call('getPrefs', {});
      assert.equal(typeof prefs.device_name, 'string');

      const err = await client.call('getFolderPrefs', { secret: generateSecret() }).then(
        () => assert.fail('expected FOLDER_NOT_FOUND'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof EngineCallError);
      assert.equal(err.code, 'FOLDER_NOT_FOUND');
      const bad = await client.call('getFolderPrefs', { secret: '' }).catch((e: EngineCallError) => e);
      assert.equal((bad as EngineCallError).code, 'BAD_REQUEST');
      assert.match((bad as EngineCallError).message, /secret: is empty/);
      const denied = await client.call('shutdown', {}).catch((e: EngineCallError) => e);
      assert.equal((denied as EngineCallError).code, 'UNAUTHORIZED', 'a browser cannot stop the daemon');

      const dir = path.join(root, 'shared');
      fs.mkdirSync(dir);
      const added: EngineEvents['fileAdded'][] = [];
      client.on('fileAdded', (p) => added.push(p));
      let scanned = false;
      client.on('folderState', (p) => (scanned ||= p.dir === dir && !p.indexing));
      const secret = generateSecret();
      const info = await client.call('addFolder', { dir, secret });
      assert.equal(info.dir, dir);
      // A file saved once the new folder's first scan is done is a change, reported as one.
      await waitFor('the first scan of the folder', () => scanned, 20_000);
      fs.writeFileSync(path.join(dir, 'from-disk.txt'), 'seen by the browser');
      await waitFor('fileAdded over the WebSocket', () => added.some((e) => e.path === 'from-disk.txt'), 20_000);
      assert.deepEqual(await client.call('removeFolder', { secret }), { removed: true });
    } finally {
      client.close();
    }
  });

  it('logging out ends the session, clears the cookie and closes its WebSockets', async () => {
    const cookie = await loginCookie(d.port);
    const other = await loginCookie(d.port);
    const client = await wsClient(d.port, cookie);
    const otherClient = await wsClient(d.port, other);
    assert.equal(typeof (await client.call('getOs', {})).os, 'string');

    const r = await request(d.port, '/gui/logout', { headers: { cookie } });
    assert.equal(r.status, 303);
    assert.equal(r.headers.location, '/gui/login');
    assert.deepEqual(r.headers['set-cookie'], ['shoal_session=; HttpOnly; SameSite=Strict; Path=/gui; Max-Age=0']);
    await closedWithin(client, 10_000);

    const after = await request(d.port, '/gui/', { headers: { cookie } });
    assert.equal(after.status, 303, 'the old cookie no longer opens the UI');
    assert.equal(after.headers.location, '/gui/login');
    const ws = await tryWebSocket(d.port, { cookie });
    assert.equal(ws.ok, false);
    assert.equal(!ws.ok && ws.status, 401);
    assert.equal((await request(d.port, '/api?method=get_os', { headers: { cookie } })).status, 401);

    // Another session is untouched.
    assert.equal(typeof (await otherClient.call('getOs', {})).os, 'string');
    assert.equal((await request(d.port, '/gui/', { headers: { cookie: other } })).status, 200);
    otherClient.close();
  });

  it('stopping the daemon closes open WebSockets', async () => {
    const client = await wsClient(d.port, await loginCookie(d.port));
    assert.equal(typeof (await client.call('getVersion', {})).version, 'string');
    const code = await d.stop();
    assert.equal(code, 0);
    await closedWithin(client, 10_000);
    const late = await client.call('getOs', {}).catch((e: EngineCallError) => e);
    assert.equal((late as EngineCallError).code, 'SHUTTING_DOWN');
  });
});

describe('Web UI without a password on loopback', () => {
  const root = tempDir('shoal-webui-open-');
  const rendererDir = path.join(root, 'renderer-dist');
  let d: WebUiDaemon;
  before(async () => {
    writeFixtureRenderer(rendererDir);
    d = await startWebUiDaemon({ home: path.join(root, 'home'), rendererDir });
  });
  after(async () => {
    try {
      if (d) assert.equal(await d.stop(), 0);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('is open, as BitTorrent Sync was on localhost; the login page just sends you in', async () => {
    const r = await request(d.port, '/gui/');
    assert.equal(r.status, 200);
    assert.equal(r.text, FIXTURE_INDEX);
    assertStrictHeaders(r, 'index');
    const login = await request(d.port, '/gui/login');
    assert.equal(login.status, 303);
    assert.equal(login.headers.location, '/gui/');
  });

  it('the WebSocket works without a session, still only from its own origin', async () => {
    const client = await wsClient(d.port);
    assert.equal(typeof (await client.call('getOs', {})).os, 'string');
    client.close();
    const foreign = await tryWebSocket(d.port, { origin: 'http://evil.example' });
    assert.equal(!foreign.ok && foreign.status, 403);
  });
});

describe('Web UI edge configurations', () => {
  const root = tempDir('shoal-webui-edge-');
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('a renderer that was not built: a clear page saying to run npm run build:ui', async () => {
    const empty = path.join(root, 'empty-dist');
    fs.mkdirSync(empty);
    const d = await startWebUiDaemon({ home: path.join(root, 'a'), rendererDir: empty });
    try {
      const r = await request(d.port, '/gui/');
      assert.equal(r.status, 503);
      assert.match(r.text, /npm run build:ui/);
      assert.doesNotMatch(r.text, new RegExp(root), 'the page does not name server directories');
      assertStrictHeaders(r, 'not built');
      assert.equal((await request(d.port, '/api?method=get_os')).status, 200, 'the API works meanwhile');
    } finally {
      assert.equal(await d.stop(), 0);
    }
  });

  it('an api_key without a login/password: the Web UI stays off rather than bypass the key', async () => {
    const dist = path.join(root, 'dist-b');
    writeFixtureRenderer(dist);
    const key = 'k'.repeat(24);
    const d = await startWebUiDaemon({ home: path.join(root, 'b'), rendererDir: dist, webui: { api_key: key } });
    try {
      const r = await request(d.port, '/gui/');
      assert.equal(r.status, 403);
      assert.match(r.text, /webui\.login/);
      assert.doesNotMatch(r.text, /fixture ui/);
      const ws = await tryWebSocket(d.port);
      assert.equal(!ws.ok && ws.status, 403);
      assert.equal((await request(d.port, `/api?method=get_os&api_key=${key}`)).status, 200);
    } finally {
      await d.engine.close();
      await d.exited;
    }
  });
});

describe('the real `shoal --config FILE` process serves /gui', () => {
  const root = tempDir('shoal-webui-cli-');
  let sandbox: Sandbox | undefined;
  let daemon: Daemon | undefined;
  after(async () => {
    await cleanupDaemons([daemon], sandbox);
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('answers the login page and guards the UI behind it', async () => {
    sandbox = Sandbox.create();
    daemon = await makeDaemon(sandbox, root, 'cli-gui');
    await daemon.start();
    assert.match(daemon.output(), /shoal: Web UI at http:\/\/127\.0\.0\.1:\d+\/gui\//);
    const login = await sandbox.get(daemon.setup.apiPort, '/gui/login', {});
    assert.equal(login.status, 200, login.error ?? login.body);
    assert.match(login.body ?? '', /<form method="post" action="\/gui\/login">/);
    const gui = await sandbox.get(daemon.setup.apiPort, '/gui/', {});
    assert.equal(gui.status, 303, 'a browser without a session is sent to the login page');
    assert.equal(await daemon.stop(), 0);
  });
});
