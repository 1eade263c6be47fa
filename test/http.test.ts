import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { FolderInfo, FolderPrefs, MethodName, MethodParams, MethodResult, Prefs } from '../engine/api/contract.js';
import { defaultConfig, type WebuiConfig } from '../engine/daemon/config.js';
import { ERROR_NUMBERS } from '../engine/daemon/error-numbers.js';
import { startHttpServer, type ApiServer } from '../engine/daemon/http.js';
import { MemoryLogger } from '../engine/daemon/log.js';
import type { ApiTarget } from '../engine/daemon/types.js';
import { ShoalError } from '../engine/errors.js';
import { generateSecret, readOnlySecretOf } from '../engine/secrets/secret.js';

type Handlers = { [M in MethodName]?: (p: MethodParams<M>) => MethodResult<M> };

/** A small real ApiTarget: an in-memory folder table and prefs, recording every call. */
class FakeTarget implements ApiTarget {
  readonly calls: { method: string; params: unknown }[] = [];
  private folders = new Map<string, FolderInfo & { prefs: FolderPrefs; hosts: string[] }>();
  private prefs: Prefs = { ...defaultConfig(), device_name: 'fake' };
  private handlers: Handlers = {
    getFolders: (p) => [...this.folders.values()].filter((f) => !p.secret || f.secret === p.secret).map(({ prefs: _p, hosts: _h, ...f }) => f),
    addFolder: (p) => {
      const secret = p.secret ?? generateSecret();
      if (this.folders.has(secret)) throw new ShoalError('FOLDER_EXISTS', 'That folder is already shared.');
      const info: FolderInfo = { dir: p.dir, secret, size: 0, type: 'read_write', files: 0, error: 0, error_code: null, error_message: null, indexing: 0, down_bytes: 0, up_bytes: 0 };
      this.folders.set(secret, { ...info, prefs: { ...defaultConfig().folder_defaults }, hosts: [] });
      return info;
    },
    removeFolder: (p) => {
      this.folder(p.secret);
      this.folders.delete(p.secret);
      return { removed: true };
    },
    getFolderPrefs: (p) => this.folder(p.secret).prefs,
    setFolderPrefs: (p) => Object.assign(this.folder(p.secret).prefs, p.prefs),
    getFolderHosts: (p) => ({ hosts: this.folder(p.secret).hosts }),
    setFolderHosts: (p) => ({ hosts: (this.folder(p.secret).hosts = p.hosts) }),
    getSecrets: (p) => ({ read_write: p.secret, read_only: readOnlySecretOf(p.secret ?? '') }),
    generateSecret: () => {
      const s = generateSecret();
      return { read_write: s, read_only: readOnlySecretOf(s) };
    },
    getPrefs: () => this.prefs,
    setPrefs: (p) => Object.assign(this.prefs, p.prefs),
    getOs: () => ({ os: 'linux' }),
    getVersion: () => ({ version: '0.1.0' }),
    getSpeed: () => {
      const err = new Error('boom in /home/user/secret-dir');
      throw err; // an unexpected failure: its text and stack must not reach the client
    },
    shutdown: () => ({ stopping: true }),
  };

  async call<M extends MethodName>(method: M, params: MethodParams<M>): Promise<MethodResult<M>> {
    this.calls.push({ method, params });
    const h = this.handlers[method] as ((p: MethodParams<M>) => MethodResult<M>) | undefined;
    if (!h) throw new ShoalError('BAD_REQUEST', `${method} is not in the fake`);
    return h(params);
  }
  on(): () => void {
    return () => {};
  }
  private folder(secret: string) {
    const f = this.folders.get(secret);
    if (!f) throw new ShoalError('FOLDER_NOT_FOUND', 'No folder with that secret.');
    return f;
  }
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

function request(server: ApiServer, path: string, headers: Record<string, string> = {}, opts: { method?: string; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: server.port, path, method: opts.method ?? 'GET', headers, agent: false }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => {
        let json: unknown = null;
        try {
          json = JSON.parse(text);
        } catch {
          // left null
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

const basic = (user: string, pass: string) => ({ Authorization: 'Basic ' + Buffer.from(`${user}:${pass}`).toString('base64') });

async function serve(webui: Partial<WebuiConfig>, target = new FakeTarget(), mounts?: Parameters<typeof startHttpServer>[0]['mounts']) {
  const server = await startHttpServer({ target, webui: { listen: '127.0.0.1:0', ...webui }, log: new MemoryLogger(), mounts });
  return { server, target };
}

describe('HTTP API: authentication', () => {
  let server: ApiServer;
  const auth = basic('admin', 'correct horse');
  before(async () => {
    ({ server } = await serve({ login: 'admin', password: 'correct horse', api_key: 'k'.repeat(20) }, undefined, {
      '/gui': (_req, res) => void res.end('gui here'),
    }));
  });
  after(() => server.close());

  it('401 with a Basic challenge without credentials', async () => {
    const r = await request(server, '/api?method=get_os');
    assert.equal(r.status, 401);
    assert.match(String(r.headers['www-authenticate']), /^Basic realm="Shoal"/);
    assert.equal(r.json.code, 'UNAUTHORIZED');
  });

  it('401 with a wrong password or login', async () => {
    assert.equal((await request(server, '/api?method=get_os', basic('admin', 'wrong'))).status, 401);
    assert.equal((await request(server, '/api?method=get_os', basic('root', 'correct horse'))).status, 401);
    assert.equal((await request(server, '/api?method=get_os', { Authorization: 'Basic !!!' })).status, 401);
  });

  it('200 with the right password', async () => {
    const r = await request(server, '/api?method=get_os', auth);
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { os: 'linux' });
    assert.equal(r.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(r.headers['cache-control'], 'no-store');
  });

  it('accepts the api_key parameter, refuses a wrong one', async () => {
    assert.equal((await request(server, `/api?method=get_version&api_key=${'k'.repeat(20)}`)).status, 200);
    assert.equal((await request(server, `/api?method=get_version&api_key=${'k'.repeat(19)}`)).status, 401);
  });

  it('mounted handlers (the future /gui) sit behind the same checks', async () => {
    assert.equal((await request(server, '/gui/index.html')).status, 401);
    const r = await request(server, '/gui/index.html', auth);
    assert.equal(r.text, 'gui here');
    assert.equal((await request(server, '/other', auth)).status, 404);
  });
});

describe('HTTP API: origin and host checks', () => {
  let server: ApiServer;
  before(async () => ({ server } = await serve({})));
  after(() => server.close());

  it('loopback without configured credentials needs none', async () => {
    assert.equal((await request(server, '/api?method=get_os')).status, 200);
  });

  it('refuses a cross-origin request with 403 FORBIDDEN_ORIGIN', async () => {
    const refused: Record<string, string>[] = [
      { Origin: 'http://evil.example' },
      { Origin: 'null' },
      { 'Sec-Fetch-Site': 'cross-site' },
      { Referer: 'http://evil.example/page' },
    ];
    for (const h of refused) {
      const r = await request(server, '/api?method=shutdown', h);
      assert.equal(r.status, 403, JSON.stringify(h));
      assert.equal(r.json.code, 'FORBIDDEN_ORIGIN');
      assert.equal(r.json.error, ERROR_NUMBERS.FORBIDDEN_ORIGIN);
    }
  });

  it('allows same-origin requests', async () => {
    const own = `http://127.0.0.1:${server.port}`;
    const r = await request(server, '/api?method=get_os', { Origin: own, 'Sec-Fetch-Site': 'same-origin', Referer: own + '/gui/' });
    assert.equal(r.status, 200);
  });

  it('refuses a foreign Host header (DNS rebinding), accepts localhost', async () => {
    assert.equal((await request(server, '/api?method=get_os', { Host: `evil.example:${server.port}` })).status, 403);
    assert.equal((await request(server, '/api?method=get_os', { Host: `127.0.0.1:${server.port + 1}` })).status, 403);
    assert.equal((await request(server, '/api?method=get_os', { Host: `localhost:${server.port}` })).status, 200);
    // Origin must match the Host actually used.
    const r = await request(server, '/api?method=get_os', { Host: `localhost:${server.port}`, Origin: `http://localhost:${server.port}` });
    assert.equal(r.status, 200);
  });
});

describe('HTTP API: methods and errors', () => {
  let server: ApiServer;
  let target: FakeTarget;
  before(async () => ({ server, target } = await serve({})));
  after(() => server.close());
  const api = async (q: string) => (await request(server, '/api?' + q)).json;

  it('unknown method -> error JSON', async () => {
    assert.deepEqual(await api('method=make_coffee'), { error: ERROR_NUMBERS.UNKNOWN_METHOD, message: 'Unknown method', code: 'UNKNOWN_METHOD' });
    assert.equal((await api('method=toString')).code, 'UNKNOWN_METHOD');
    assert.equal((await api('foo=1')).code, 'BAD_REQUEST');
  });

  it('bad parameters -> BAD_REQUEST error JSON naming the parameter', async () => {
    const cases: [string, RegExp][] = [
      ['method=add_folder', /parameter "dir" is required/],
      ['method=remove_folder&secret=', /parameter "secret" is empty/],
      ['method=set_folder_prefs&secret=x&use_dht=2', /parameter "use_dht" must be 0 or 1/],
      ['method=set_folder_prefs&secret=x', /No folder preference/],
      ['method=get_os&extra=1', /unknown parameter "extra"/],
      ['method=get_folders&secret=a&secret=b', /given more than once/],
      ['method=get_folders&method=get_os', /given more than once/],
      ['method=set_prefs&listening_port=99999', /parameter "listening_port" must be a port number/],
      ['method=set_prefs&download_limit=-1', /parameter "download_limit" must be a whole number/],
      ['method=set_folder_hosts&secret=x&hosts=a:1,nope', /"nope" is not host:port/],
      [`method=get_folders&secret=${'A'.repeat(4097)}`, /longer than 4096/],
      ['method=add_folder&dir=/x&selective_sync=2', /parameter "selective_sync" must be 0 or 1/],
    ];
    for (const [q, problem] of cases) {
      const r = await api(q);
      assert.equal(r.code, 'BAD_REQUEST', q);
      assert.equal(r.error, ERROR_NUMBERS.BAD_REQUEST);
      assert.match(r.message, problem, q);
    }
  });

  it('engine errors come back as { error: N, message, code }', async () => {
    assert.deepEqual(await api('method=remove_folder&secret=Anope'), {
      error: ERROR_NUMBERS.FOLDER_NOT_FOUND,
      message: 'No folder with that secret.',
      code: 'FOLDER_NOT_FOUND',
    });
  });

  it('unexpected errors carry no stack trace and no internal text', async () => {
    const r = await request(server, '/api?method=get_speed');
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { error: ERROR_NUMBERS.INTERNAL, message: 'Internal error', code: 'INTERNAL' });
    assert.doesNotMatch(r.text, /secret-dir|at |\.ts/);
  });

  it('maps BTSync calls onto the contract, with BTSync result shapes', async () => {
    const added = await api('method=add_folder&dir=/data/a');
    assert.equal(added.error, 0);
    assert.match(added.secret, /^A[A-Z2-7]{32}$/);
    const s = added.secret as string;
    assert.deepEqual(target.calls.at(-1), { method: 'addFolder', params: { dir: '/data/a' } });
    assert.equal((await api('method=add_folder&dir=/data/b&selective_sync=1')).error, 0);
    assert.deepEqual(target.calls.at(-1), { method: 'addFolder', params: { dir: '/data/b', prefs: { selective_sync: true } } });

    const folders = await api(`method=get_folders&secret=${s}`);
    assert.equal(folders.length, 1);
    for (const k of ['dir', 'secret', 'size', 'type', 'files', 'error', 'indexing']) assert.ok(k in folders[0], k);

    assert.deepEqual(await api(`method=set_folder_prefs&secret=${s}&use_dht=1&search_lan=0`), {
      search_lan: 0,
      use_dht: 1,
      use_hosts: 1,
      use_relay_server: 1,
      use_sync_trash: 1,
      use_tracker: 1,
      overwrite_changes: 0,
      selective_sync: 0,
    });
    assert.deepEqual(target.calls.at(-1), { method: 'setFolderPrefs', params: { secret: s, prefs: { use_dht: true, search_lan: false } } });
    assert.equal((await api(`method=get_folder_prefs&secret=${s}`)).use_dht, 1);

    assert.deepEqual(await api(`method=set_folder_hosts&secret=${s}&hosts=10.0.0.1:4000,%5B::1%5D:5000`), { hosts: ['10.0.0.1:4000', '[::1]:5000'] });
    assert.deepEqual(await api(`method=get_folder_hosts&secret=${s}`), { hosts: ['10.0.0.1:4000', '[::1]:5000'] });
    assert.deepEqual(await api(`method=set_folder_hosts&secret=${s}&hosts=`), { hosts: [] });

    const fresh = await api('method=get_secrets');
    assert.match(fresh.read_write, /^A/);
    assert.match(fresh.read_only, /^B/);
    assert.equal((await api(`method=get_secrets&secret=${s}`)).read_only, readOnlySecretOf(s));
    assert.match((await api(`method=get_secrets&type=encryption`)).message, /not supported yet/);

    const prefs = await api('method=set_prefs&download_limit=100&use_upnp=0&device_name=nas');
    assert.equal(prefs.download_limit, 100);
    assert.equal(prefs.use_upnp, 0);
    assert.equal(prefs.device_name, 'nas');
    assert.deepEqual(target.calls.at(-1), { method: 'setPrefs', params: { prefs: { download_limit: 100, use_upnp: false, device_name: 'nas' } } });
    assert.equal((await api('method=get_prefs')).lan_encrypt_data, 1);

    assert.deepEqual(await api(`method=remove_folder&secret=${s}`), { error: 0 });
    assert.deepEqual(await api('method=get_version&_=123'), { version: '0.1.0' });
    assert.deepEqual(await api('method=shutdown'), { error: 0 });
    assert.equal(target.calls.at(-1)?.method, 'shutdown');
  });
});

describe('HTTP API: request limits', () => {
  let server: ApiServer;
  before(async () => ({ server } = await serve({ login: 'a', password: 'b' })));
  after(() => server.close());

  it('refuses an oversized query with 414', async () => {
    const r = await request(server, `/api?method=get_folders&secret=${'A'.repeat(9000)}`, basic('a', 'b'));
    assert.equal(r.status, 414);
    assert.equal(r.json.code, 'BAD_REQUEST');
  });

  it('refuses a large request body with 413, non-GET with 405', async () => {
    const big = await request(server, '/api?method=get_os', { ...basic('a', 'b'), 'Content-Length': String(1024 * 1024) }, { method: 'POST', body: 'x'.repeat(1024 * 1024) }).catch(
      () => ({ status: 413 }) as Reply, // the server may close before the whole body is sent
    );
    assert.equal(big.status, 413);
    assert.equal((await request(server, '/api?method=get_os', basic('a', 'b'), { method: 'POST', body: '{}' })).status, 405);
  });

  it('locks out an address after many wrong passwords', async () => {
    let last = 0;
    for (let i = 0; i < 25; i++) last = (await request(server, '/api?method=get_os', basic('a', 'x'))).status;
    assert.equal(last, 429);
    assert.equal((await request(server, '/api?method=get_os', basic('a', 'b'))).status, 429, 'even the right password, for a while');
  });
});

describe('error numbers', () => {
  it('are unique and non-zero', () => {
    const nums = Object.values(ERROR_NUMBERS);
    assert.equal(new Set(nums).size, nums.length);
    assert.ok(nums.every((n) => n > 0));
  });
});
