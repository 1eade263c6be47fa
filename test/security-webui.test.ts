import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from './helpers/engines.js';
import { LOGIN, PASSWORD, loginCookie, postLogin, request, startWebUiDaemon, tryWebSocket, writeFixtureRenderer, type WebUiDaemon } from './helpers/webui.js';

/**
 * The Web UI under hostile requests: wrong and guessed passwords, forged cookies, foreign
 * origins and Host names (DNS rebinding) on pages and on the WebSocket, path traversal in
 * every spelling, symlinks out of the renderer directory, oversized forms, and a config that
 * would expose an open UI to the network.
 */

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SECRET_TEXT = 'TOP-SECRET-OUTSIDE-THE-RENDERER';

describe('Web UI security', () => {
  const root = tempDir('shoal-sec-webui-');
  const rendererDir = path.join(root, 'dist');
  let d: WebUiDaemon;
  let cookie = '';

  before(async () => {
    writeFixtureRenderer(rendererDir);
    // Things next to and far from the renderer dir that must never be served.
    fs.writeFileSync(path.join(root, 'secret.txt'), SECRET_TEXT);
    fs.mkdirSync(path.join(root, 'outside'));
    fs.writeFileSync(path.join(root, 'outside', 'inner.txt'), SECRET_TEXT);
    fs.writeFileSync(path.join(rendererDir, '.env'), SECRET_TEXT);
    fs.symlinkSync(path.join(root, 'secret.txt'), path.join(rendererDir, 'link-out.txt'));
    fs.symlinkSync(path.join(root, 'outside'), path.join(rendererDir, 'dir-out'));
    fs.symlinkSync('/etc/hostname', path.join(rendererDir, 'etc-link'));
    fs.symlinkSync(path.join(rendererDir, 'favicon.svg'), path.join(rendererDir, 'link-in.svg'));
    d = await startWebUiDaemon({ home: path.join(root, 'home'), rendererDir, webui: { login: LOGIN, password: PASSWORD } });
    cookie = await loginCookie(d.port);
  });
  after(async () => {
    try {
      if (d) assert.equal(await d.stop(), 0, 'the daemon stopped cleanly');
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('a wrong password or login: 401, the form again with a message, no cookie', async () => {
    for (const [login, password] of [
      [LOGIN, 'Tr0ub4dor&3'],
      ['root', PASSWORD],
      [LOGIN, ''],
      ['', ''],
      [LOGIN, PASSWORD + ' '],
    ]) {
      const r = await postLogin(d.port, login!, password!);
      assert.equal(r.status, 401, `${login}/${password}`);
      assert.equal(r.headers['set-cookie'], undefined);
      assert.match(r.text, /Wrong login or password\./);
      assert.match(r.text, /<form method="post" action="\/gui\/login">/);
      assert.ok(!r.text.includes(password!) || password === '', 'the password is never echoed');
    }
    const xss = await postLogin(d.port, '"><script>alert(1)</script>', 'x');
    assert.equal(xss.status, 401);
    assert.doesNotMatch(xss.text, /<script>/, 'the login echoed back is escaped');
    assert.match(xss.text, /&quot;&gt;&lt;script&gt;/);
  });

  it('the login form: only a size-capped urlencoded POST', async () => {
    const json = await request(d.port, '/gui/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login: LOGIN, password: PASSWORD }),
    });
    assert.equal(json.status, 415);
    assert.equal(json.headers['set-cookie'], undefined);
    const big = `login=${LOGIN}&password=${encodeURIComponent(PASSWORD)}&pad=${'x'.repeat(8000)}`;
    const r = await request(d.port, '/gui/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(big.length) },
      body: big,
    }).catch(() => ({ status: 413, headers: {} as Record<string, string> }));
    assert.equal(r.status, 413);
    assert.equal(r.headers['set-cookie'], undefined);
    assert.equal((await request(d.port, '/gui/login', { method: 'PUT' })).status, 405);
  });

  it('a cross-origin login POST is refused before the password is even looked at', async () => {
    const r = await postLogin(d.port, LOGIN, PASSWORD, { origin: 'http://evil.example' });
    assert.equal(r.status, 403);
    assert.equal(r.headers['set-cookie'], undefined);
    const site = await postLogin(d.port, LOGIN, PASSWORD, { 'sec-fetch-site': 'cross-site' });
    assert.equal(site.status, 403);
    const opaque = await postLogin(d.port, LOGIN, PASSWORD, { origin: 'null' });
    assert.equal(opaque.status, 403, 'a sandboxed frame posts with Origin: null');
    assert.equal(opaque.headers['set-cookie'], undefined);
  });

  it('forged, malformed and foreign cookies open nothing', async () => {
    for (const c of [
      `shoal_session=${'A'.repeat(43)}`,
      'shoal_session=',
      'shoal_session=../../etc',
      `shoal_session=${cookie.split('=')[1]}x`,
      `other=${cookie.split('=')[1]}`,
      'shoal_session=' + 'x'.repeat(5000),
    ]) {
      const r = await request(d.port, '/gui/assets/app-1a2b3c.js', { headers: { cookie: c } });
      assert.equal(r.status, 303, c.slice(0, 60));
      assert.equal(r.headers.location, '/gui/login');
      const ws = await tryWebSocket(d.port, { cookie: c });
      assert.equal(!ws.ok && ws.status, 401, c.slice(0, 60));
    }
    // Among other cookies, the real one works.
    assert.equal((await request(d.port, '/gui/', { headers: { cookie: `a=b; ${cookie}; c=d` } })).status, 200);
  });

  it('assets and non-GET requests need a session', async () => {
    for (const p of ['/gui/assets/app-1a2b3c.js', '/gui/favicon.svg', '/gui/index.html', '/gui/nope']) {
      const r = await request(d.port, p);
      assert.equal(r.status, 303, p);
      assert.doesNotMatch(r.text, /fixture/);
    }
    const post = await request(d.port, '/gui/', { method: 'POST' });
    assert.equal(post.status, 401);
  });

  it('the WebSocket: refused without a session, from another origin, without an Origin, with a foreign Host', async () => {
    const own = `http://127.0.0.1:${d.port}`;
    const cases: Array<[string, Parameters<typeof tryWebSocket>[1], number]> = [
      ['no session', { origin: own }, 401],
      ['another origin', { cookie, origin: 'http://evil.example' }, 403],
      ['another port', { cookie, origin: `http://127.0.0.1:${d.port + 1}` }, 403],
      ['https of our host', { cookie, origin: `https://127.0.0.1:${d.port}` }, 403],
      ['Origin null', { cookie, origin: 'null' }, 403],
      ['no Origin', { cookie, origin: null }, 403],
      ['DNS rebinding: foreign Host, matching Origin', { cookie, host: `evil.example:${d.port}`, origin: `http://evil.example:${d.port}` }, 403],
      ['Host with a wrong port', { cookie, host: `127.0.0.1:${d.port + 1}`, origin: `http://127.0.0.1:${d.port + 1}` }, 403],
      ['another path', { cookie, path: '/gui/other' }, 404],
      ['the API path', { cookie, path: '/api' }, 404],
      ['outside the UI', { cookie, path: '/ws' }, 404],
    ];
    for (const [what, o, status] of cases) {
      const r = await tryWebSocket(d.port, o);
      if (r.ok) r.ws.terminate();
      assert.equal(r.ok, false, `${what}: must be refused`);
      assert.equal(!r.ok && r.status, status, what);
    }
    // localhost is as good as 127.0.0.1 when Host and Origin agree.
    const ok = await tryWebSocket(d.port, { cookie, host: `localhost:${d.port}`, origin: `http://localhost:${d.port}` });
    assert.equal(ok.ok, true);
    if (ok.ok) ok.ws.close();
  });

  it('a WebSocket frame over the size limit ends that connection; binary and junk frames are ignored', async () => {
    const o = await tryWebSocket(d.port, { cookie });
    assert.ok(o.ok);
    const ws = o.ws;
    const replies: string[] = [];
    ws.on('message', (data, isBinary) => {
      if (!isBinary) replies.push(String(data));
    });
    ws.send(Buffer.from([1, 2, 3]));
    ws.send('not json');
    ws.send(JSON.stringify({ t: 'call', id: 1, method: 'getOs', params: {} }));
    const deadline = Date.now() + 10_000;
    while (!replies.some((r) => JSON.parse(r).id === 1) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const answers = replies.map((r) => JSON.parse(r)).filter((m) => m.t !== 'event');
    assert.deepEqual(answers.map((m) => [m.t, m.id]), [['result', 1]], 'only the real call was answered');
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.send('x'.repeat(1024 * 1024 + 10));
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([closed, new Promise<string>((r) => (timer = setTimeout(() => r('still open'), 10_000)))]);
    clearTimeout(timer);
    assert.equal(code, 1009, 'closed as "message too big"');
  });

  it('path traversal in every spelling, dotfiles and symlinks out of the renderer dir: 404, never the file', async () => {
    const attempts = [
      '/gui/../secret.txt',
      '/gui/../../../../etc/passwd',
      '/gui/%2e%2e/secret.txt',
      '/gui/%2E%2E/%2E%2E/etc/passwd',
      '/gui/..%2fsecret.txt',
      '/gui/assets/..%2f..%2fsecret.txt',
      '/gui/..%5csecret.txt',
      '/gui/assets\\..\\..\\secret.txt',
      '/gui/assets/%5c..%5c..%5csecret.txt',
      '/gui/%252e%252e/secret.txt',
      '/gui/.env',
      '/gui/%2eenv',
      '/gui/assets//app-1a2b3c.js',
      '/gui/index.html%00.js',
      '/gui/%ff',
      '/gui/C:%5cWindows',
      '/gui/link-out.txt',
      '/gui/dir-out/inner.txt',
      '/gui/etc-link',
      '/gui/assets',
      '/gui/assets/',
    ];
    for (const p of attempts) {
      const r = await request(d.port, p, { headers: { cookie } });
      assert.ok(!r.text.includes(SECRET_TEXT), `${p}: leaked the outside file`);
      assert.doesNotMatch(r.text, /root:x:0:0/, `${p}: leaked /etc/passwd`);
      // `..` that the URL parser resolves lands outside /gui: 404 from the server, or the login
      // redirect when it lands back inside. Never 200 with a file.
      assert.ok(r.status === 404 || r.status === 400 || r.status === 303, `${p}: HTTP ${r.status}`);
      assert.doesNotMatch(r.text, new RegExp(repoRoot.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), `${p}: names the source directory`);
    }
    // A symlink that stays inside the directory is fine: the check is about where files are.
    const inside = await request(d.port, '/gui/link-in.svg', { headers: { cookie } });
    assert.equal(inside.status, 200);
    assert.equal(inside.headers['content-type'], 'image/svg+xml');
  });

  it('many wrong passwords lock the address out of the form and /api alike, even with the right one', async () => {
    let last = 0;
    for (let i = 0; i < 25; i++) last = (await postLogin(d.port, LOGIN, `guess-${i}`)).status;
    assert.equal(last, 429);
    const right = await postLogin(d.port, LOGIN, PASSWORD);
    assert.equal(right.status, 429, 'even the right password, for a while');
    assert.equal(right.headers['set-cookie'], undefined);
    assert.match(right.text, /Too many failed logins/);
    const basic = 'Basic ' + Buffer.from(`${LOGIN}:${PASSWORD}`).toString('base64');
    assert.equal((await request(d.port, '/api?method=get_os', { headers: { authorization: basic } })).status, 429, 'the limiter is shared with /api');
    // A session that already exists keeps working: the lockout is about guessing.
    assert.equal((await request(d.port, '/gui/', { headers: { cookie } })).status, 200);
  });
});

describe('Web UI exposure checks at startup', () => {
  const root = tempDir('shoal-sec-webui-cfg-');
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  function shoalWith(webui: Record<string, unknown>) {
    const file = path.join(root, `cfg-${Math.random().toString(36).slice(2)}.json`);
    fs.writeFileSync(file, JSON.stringify({ storage_path: path.join(root, 'storage'), webui }));
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'engine/cli.ts'), '--config', file], {
      cwd: repoRoot,
      encoding: 'utf8',
      timeout: 30_000,
    });
    return { file, code: r.status, stderr: r.stderr, stdout: r.stdout };
  }

  for (const listen of ['0.0.0.0:0', '[::]:0', '192.168.1.10:0']) {
    it(`webui.listen ${listen} without a password: exits 1 at once, naming the file and how to fix it`, () => {
      const r = shoalWith({ listen });
      assert.equal(r.code, 1, r.stderr);
      assert.ok(r.stderr.startsWith(`shoal: ${r.file}: webui.listen:`), r.stderr);
      assert.match(r.stderr, /accepts connections from other machines/);
      assert.match(r.stderr, /anyone who can reach this port could control Shoal/);
      assert.match(r.stderr, /Set webui\.login and webui\.password, or listen on 127\.0\.0\.1/);
      assert.equal(r.stdout, '', 'nothing started');
      assert.equal(fs.existsSync(path.join(root, 'storage')), false, 'not even the storage dir was created');
    });
  }

  it('an api_key alone does not make a network listen acceptable', () => {
    const r = shoalWith({ listen: '0.0.0.0:0', api_key: 'k'.repeat(24) });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /webui\.password is not set/);
  });

  it('nothing is listening after the refusal', async () => {
    const port = await new Promise<number>((resolve) => {
      const srv = net.createServer();
      srv.listen(0, '127.0.0.1', () => {
        const p = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
    const r = shoalWith({ listen: `0.0.0.0:${port}` });
    assert.equal(r.code, 1);
    const connected = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    assert.equal(connected, false);
  });
});
