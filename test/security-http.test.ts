import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../engine/daemon/config.js';
import { runDaemonWith } from '../engine/daemon/lifecycle.js';
import type { DaemonEngine } from '../engine/daemon/types.js';
import { Engine } from '../engine/engine.js';
import { generateSecret } from '../engine/secrets/secret.js';
import { tempDir } from './helpers/engines.js';

/**
 * The HTTP API of a real daemon (runDaemonWith + the real Engine, in process, on 127.0.0.1)
 * under hostile requests: bad folder paths and secrets, path traversal, missing or wrong
 * credentials, cross-origin and DNS-rebinding requests. Every refusal is clear, nothing runs
 * that should not, and no response ever carries a stack trace or a source path.
 */

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const LOGIN = 'admin';
const PASSWORD = 'correct horse battery staple';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: { error?: number; message?: string; code?: string; [k: string]: unknown } & Record<string, unknown>;
}

/** Fails when a response shows anything of the implementation: stack frames, source files, internals. */
function assertNoInternals(r: Reply, what: string): void {
  for (const [re, name] of [
    [/(\\n|\n)\s*at\s/, 'a stack frame'],
    [/\bat\s+\S+\s+\((file:|\/|node:)/, 'a stack frame'],
    [/\.(ts|js|mjs):\d+/, 'a source location'],
    [/node:internal|node_modules/, 'a runtime path'],
    [/ZodError|TypeError|RangeError|SyntaxError|ReferenceError/, 'an exception class'],
  ] as const) {
    assert.ok(!re.test(r.text), `${what}: the response shows ${name}: ${r.text.slice(0, 300)}`);
  }
  assert.ok(!r.text.includes(repoRoot), `${what}: the response names the source directory`);
}

describe('the HTTP API of a real daemon under hostile requests', () => {
  const root = tempDir('shoal-sec-http-');
  const cfgFile = path.join(root, 'shoal.json');
  const okDir = path.join(root, 'ok-folder');
  /** Only ever named by requests that must not run: it must never get Shoal's `.sync` marker. */
  const untouchedDir = path.join(root, 'untouched-folder');
  const aFile = path.join(root, 'a-file.txt');
  let base = '';
  let port = 0;
  let engine: DaemonEngine | undefined;
  let exited: Promise<number> | undefined;
  const replies: Array<{ what: string; r: Reply }> = [];

  function request(query: string, o: { auth?: 'ok' | 'wrong-password' | 'wrong-login' | 'none'; headers?: Record<string, string>; method?: string } = {}): Promise<Reply> {
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    const auth = o.auth ?? 'ok';
    if (auth !== 'none') {
      const [user, pass] = auth === 'ok' ? [LOGIN, PASSWORD] : auth === 'wrong-password' ? [LOGIN, 'Tr0ub4dor&3'] : ['root', PASSWORD];
      headers.authorization = 'Basic ' + Buffer.from(`${user}:${pass}`).toString('base64');
    }
    return new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path: `/api?${query}`, method: o.method ?? 'GET', headers, agent: false, timeout: 10_000 }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => {
          let json: Reply['json'] = {};
          try {
            json = JSON.parse(text) as Reply['json'];
          } catch {
            // asserted by the callers
          }
          const r = { status: res.statusCode ?? 0, headers: res.headers, text, json };
          replies.push({ what: query, r });
          resolve(r);
        });
      });
      req.on('timeout', () => req.destroy(new Error('request timed out')));
      req.on('error', reject);
      req.end();
    });
  }

  const q = (params: Record<string, string>): string => new URLSearchParams(params).toString();

  async function folders(): Promise<Array<{ dir: string; secret: string }>> {
    const r = await request(q({ method: 'get_folders' }));
    assert.equal(r.status, 200, r.text);
    assert.ok(Array.isArray(r.json), r.text);
    return r.json as unknown as Array<{ dir: string; secret: string }>;
  }

  /** An API error: HTTP 200, `{ error: N != 0, message, code }`, a message a person can read. */
  function assertApiError(r: Reply, what: string, code: string, message: RegExp): void {
    assert.equal(r.status, 200, `${what}: ${r.text}`);
    assert.equal(typeof r.json.error, 'number', `${what}: ${r.text}`);
    assert.notEqual(r.json.error, 0, `${what}: ${r.text}`);
    assert.equal(r.json.code, code, `${what}: ${r.text}`);
    assert.equal(typeof r.json.message, 'string');
    assert.match(r.json.message!, message, what);
    assertNoInternals(r, what);
  }

  before(async () => {
    fs.mkdirSync(okDir);
    fs.mkdirSync(untouchedDir);
    fs.writeFileSync(aFile, 'not a folder');
    fs.writeFileSync(
      cfgFile,
      JSON.stringify({
        storage_path: './storage',
        listening_port: 0,
        webui: { listen: '127.0.0.1:0', login: LOGIN, password: PASSWORD },
        folder_defaults: { search_lan: false },
      }),
    );
    const config = loadConfig(cfgFile);
    const ready = new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('daemon not ready within 15 s')), 15_000);
      exited = runDaemonWith(config, {
        createEngine: (opts) => Engine.create({ ...opts, listenHost: '127.0.0.1', lan: false }),
        handleSignals: false,
        stdout: new PassThrough().resume(),
        stderr: new PassThrough().resume(),
        onReady: (info) => {
          clearTimeout(t);
          engine = info.engine;
          resolve(info.url);
        },
      });
      void exited.then((code) => reject(new Error(`daemon exited early with ${code}`)));
    });
    base = await ready;
    port = Number(new URL(base).port);
  });

  after(async () => {
    try {
      if (port) {
        const r = await request(q({ method: 'shutdown' })).catch(() => null);
        if (!r || r.status !== 200) await engine?.close();
      }
      if (exited) {
        let timer: NodeJS.Timeout | undefined;
        const code = await Promise.race([exited, new Promise<string>((r) => (timer = setTimeout(() => r('timeout'), 10_000)))]);
        clearTimeout(timer);
        assert.equal(code, 0, 'the daemon stopped cleanly');
      }
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('add_folder refuses relative, traversing, missing and non-folder paths and bad secrets, adding nothing', async () => {
    const cases: Array<[string, Record<string, string>, string, RegExp]> = [
      ['dir=../../tmp', { dir: '../../tmp' }, 'BAD_PATH', /full path/],
      ['relative dir', { dir: 'some/relative/dir' }, 'BAD_PATH', /full path/],
      ['dir=.', { dir: '.' }, 'BAD_PATH', /full path/],
      ['dir=~', { dir: '~' }, 'BAD_PATH', /full path/],
      ['dir=..', { dir: '..' }, 'BAD_PATH', /full path/],
      ['a file', { dir: aFile }, 'BAD_PATH', /not a folder/],
      ['a missing dir', { dir: path.join(root, 'does-not-exist') }, 'BAD_PATH', /does not exist/],
      ['a missing dir below a file', { dir: path.join(aFile, 'sub') }, 'BAD_PATH', /does not exist|not a folder/],
      ['a NUL in the path', { dir: `${okDir}\0/x` }, 'BAD_PATH', /./],
      ['a bad secret', { dir: okDir, secret: 'not-a-secret' }, 'BAD_SECRET', /secret/],
      ['a bad A secret', { dir: okDir, secret: 'A!!!!' }, 'BAD_SECRET', /read-write secret/],
      ['a bad B secret', { dir: okDir, secret: 'BAAAA' }, 'BAD_SECRET', /read-only secret/],
      ['an empty dir', { dir: '' }, 'BAD_REQUEST', /dir/],
      ['selective sync neither 0 nor 1', { dir: okDir, selective_sync: 'yes' }, 'BAD_REQUEST', /selective_sync/],
    ];
    for (const [what, params, code, message] of cases) {
      const r = await request(q({ method: 'add_folder', ...params }));
      assertApiError(r, `add_folder with ${what}`, code, message);
    }
    assert.deepEqual(await folders(), [], 'no folder was added');
    assert.equal(fs.existsSync(path.join(okDir, '.sync')), false, 'nothing was written into the folder');
  });

  it('get_files refuses paths that leave the folder', async () => {
    const secret = generateSecret();
    const added = await request(q({ method: 'add_folder', dir: okDir, secret }));
    assert.equal(added.json.error, 0, added.text);
    fs.writeFileSync(path.join(okDir, 'inside.txt'), 'in');
    const ok = await request(q({ method: 'get_files', secret }));
    assert.ok(Array.isArray(ok.json), ok.text);
    for (const p of ['../../etc', '..', '/etc', 'a/../../etc', './', 'a/./b', '..\\..\\etc', '.sync', '.SyncArchive/../..']) {
      const r = await request(q({ method: 'get_files', secret, path: p }));
      assertApiError(r, `get_files path=${p}`, 'BAD_PATH', /Path|path/);
    }
    const r = await request(q({ method: 'get_files', secret: generateSecret(), path: 'x' }));
    assertApiError(r, 'get_files of a folder not synced', 'FOLDER_NOT_FOUND', /No folder/);
    const removed = await request(q({ method: 'remove_folder', secret }));
    assert.equal(removed.json.error, 0, removed.text);
    assert.deepEqual(await folders(), []);
  });

  it('no credentials, a wrong password or login, a wrong api_key: 401, and the method did not run', async () => {
    for (const [what, auth, extra] of [
      ['no credentials', 'none', ''],
      ['a wrong password', 'wrong-password', ''],
      ['a wrong login', 'wrong-login', ''],
      ['a made-up api_key', 'none', '&api_key=guess'],
    ] as const) {
      const r = await request(q({ method: 'add_folder', dir: untouchedDir }) + extra, { auth });
      assert.equal(r.status, 401, `${what}: ${r.text}`);
      assert.match(String(r.headers['www-authenticate']), /^Basic realm=/);
      assert.equal(r.json.code, 'UNAUTHORIZED');
      assert.ok(!('secret' in r.json), `${what}: no result leaked`);
      assertNoInternals(r, what);
    }
    const r = await request(q({ method: 'get_folders' }), { headers: { authorization: 'Bearer xyz' }, auth: 'none' });
    assert.equal(r.status, 401);
    assert.deepEqual(await folders(), [], 'no folder was added without the right credentials');
    assert.equal(fs.existsSync(path.join(untouchedDir, '.sync')), false);
  });

  it('cross-origin and DNS-rebinding requests: 403 even with valid credentials, and the method did not run', async () => {
    for (const [what, headers] of [
      ['Origin: http://evil.example', { origin: 'http://evil.example' }],
      ['Origin: null', { origin: 'null' }],
      ['Origin of another port', { origin: `http://127.0.0.1:${port + 1}` }],
      ['Referer from evil.example', { referer: 'http://evil.example/attack.html' }],
      ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }],
      ['Host: evil.example (DNS rebinding)', { host: `evil.example:${port}` }],
      ['Host: a wrong port', { host: `127.0.0.1:${port + 1}` }],
    ] as const) {
      const r = await request(q({ method: 'add_folder', dir: untouchedDir }), { headers: { ...headers } });
      assert.equal(r.status, 403, `${what}: ${r.text}`);
      assert.equal(r.json.code, 'FORBIDDEN_ORIGIN', what);
      assert.ok(!('secret' in r.json), `${what}: no result leaked`);
      assertNoInternals(r, what);
    }
    assert.deepEqual(await folders(), [], 'no folder was added by a cross-origin request');
    assert.equal(fs.existsSync(path.join(untouchedDir, '.sync')), false);
    // The same request from the daemon's own origin works (so the refusals above were about the origin).
    const own = await request(q({ method: 'add_folder', dir: okDir }), { headers: { origin: `http://127.0.0.1:${port}` } });
    assert.equal(own.json.error, 0, own.text);
    const list = await folders();
    assert.equal(list.length, 1);
    const removed = await request(q({ method: 'remove_folder', secret: list[0]!.secret }));
    assert.equal(removed.json.error, 0, removed.text);
  });

  it('odd methods and parameters are clear errors, never internals', async () => {
    for (const query of [
      'method=__proto__',
      'method=constructor',
      'method=toString',
      'method=hasOwnProperty',
      'method=get_os&method=get_os',
      'method=add_folder&dir=/a&dir=/b',
      `method=add_folder&dir=${'x'.repeat(5000)}`,
      'method=add_folder&dir=%ZZ',
      'method=add_folder&unknown=1&dir=/tmp',
      'method=set_prefs&upload_limit=-1',
      'method=set_prefs&upload_limit=99999999999999999999',
      'method=set_folder_hosts&secret=x&hosts=evil',
      'method=get_files',
      '',
    ]) {
      const r = await request(query);
      assert.ok(r.status === 200 || r.status === 400, `${query}: HTTP ${r.status} ${r.text}`);
      assert.ok(typeof r.json.error === 'number' && r.json.error !== 0, `${query}: ${r.text}`);
      assert.ok(typeof r.json.message === 'string' && r.json.message.length > 0, `${query}: ${r.text}`);
      assertNoInternals(r, query);
    }
    const post = await request(q({ method: 'add_folder', dir: untouchedDir }), { method: 'POST' });
    assert.equal(post.status, 405);
    assertNoInternals(post, 'POST');
    assert.deepEqual(await folders(), []);
    assert.equal(fs.existsSync(path.join(untouchedDir, '.sync')), false);
    // Nothing any request of this file got back shows internals.
    for (const { what, r } of replies) assertNoInternals(r, what);
  });
});
