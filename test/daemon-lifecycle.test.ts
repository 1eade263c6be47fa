import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { MethodName, MethodParams, MethodResult } from '../engine/api/contract.js';
import { loadConfig, type DaemonConfig } from '../engine/daemon/config.js';
import { runDaemonWith } from '../engine/daemon/lifecycle.js';
import type { Logger } from '../engine/daemon/log.js';
import type { DaemonEngine } from '../engine/daemon/types.js';
import { ShoalError } from '../engine/errors.js';

/** Stands in for Engine: answers get_os, stops on `shutdown` like the real one. */
class FakeEngine implements DaemonEngine {
  private resolveClosed!: () => void;
  readonly closed = new Promise<void>((r) => (this.resolveClosed = r));
  closeCalls = 0;
  constructor(readonly log: Logger) {}
  async call<M extends MethodName>(method: M, _params: MethodParams<M>): Promise<MethodResult<M>> {
    if (method === 'getOs') return { os: 'linux' } as MethodResult<M>;
    if (method === 'shutdown') {
      setImmediate(() => void this.close());
      return { stopping: true } as MethodResult<M>;
    }
    throw new ShoalError('BAD_REQUEST', 'not in the fake');
  }
  on(): () => void {
    return () => {};
  }
  async close(): Promise<void> {
    this.closeCalls++;
    this.log.info('fake engine closed');
    this.resolveClosed();
  }
}

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shoal-daemon-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function config(extra: Record<string, unknown> = {}): DaemonConfig {
  const file = path.join(dir, 'shoal.json');
  fs.writeFileSync(file, JSON.stringify({ storage_path: './storage', pid_file: './shoal.pid', webui: { listen: '127.0.0.1:0' }, ...extra }));
  return loadConfig(file);
}

function get(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

function streams() {
  const out = { stdout: new PassThrough(), stderr: new PassThrough(), text: { stdout: '', stderr: '' } };
  out.stdout.on('data', (d: Buffer) => (out.text.stdout += d.toString()));
  out.stderr.on('data', (d: Buffer) => (out.text.stderr += d.toString()));
  return out;
}

describe('daemon lifecycle', () => {
  it('starts, serves the API, writes the pid file and sync.log, stops on `shutdown`', async () => {
    const c = config();
    const io = streams();
    let engine: FakeEngine | undefined;
    let pidSeen = '';
    const code = await runDaemonWith(c, {
      createEngine: async ({ log }) => (engine = new FakeEngine(log)),
      handleSignals: false,
      stdout: io.stdout,
      stderr: io.stderr,
      onReady: ({ url }) => {
        pidSeen = fs.readFileSync(path.join(dir, 'shoal.pid'), 'utf8');
        void get(`${url}/api?method=get_os`)
          .then((body) => assert.deepEqual(JSON.parse(body), { os: 'linux' }))
          .then(() => get(`${url}/api?method=shutdown`))
          .then((body) => assert.deepEqual(JSON.parse(body), { error: 0 }));
      },
    });
    assert.equal(code, 0);
    assert.equal(pidSeen, `${process.pid}\n`);
    assert.equal(fs.existsSync(path.join(dir, 'shoal.pid')), false, 'pid file removed on exit');
    assert.match(io.text.stdout, /^shoal: API listening on http:\/\/127\.0\.0\.1:\d+\/api\nshoal: Web UI at http:\/\/127\.0\.0\.1:\d+\/gui\/\n$/);
    const log = fs.readFileSync(path.join(dir, 'storage', 'sync.log'), 'utf8');
    assert.match(log, /INFO Shoal starting/);
    assert.match(log, /INFO fake engine closed/);
    assert.match(log, /INFO Daemon exiting/);
    assert.equal(engine?.closeCalls, 1);
  });

  it('refuses to start when the pid file belongs to a running process', async () => {
    const c = config();
    fs.writeFileSync(path.join(dir, 'shoal.pid'), `${process.ppid}\n`);
    const io = streams();
    let created = false;
    const code = await runDaemonWith(c, {
      createEngine: async ({ log }) => ((created = true), new FakeEngine(log)),
      handleSignals: false,
      stderr: io.stderr,
      stdout: io.stdout,
    });
    assert.equal(code, 1);
    assert.equal(created, false);
    assert.match(io.text.stderr, new RegExp(`shoal: .*shoal\\.json: pid_file: .*already running as process ${process.ppid}`));
    assert.equal(fs.readFileSync(path.join(dir, 'shoal.pid'), 'utf8'), `${process.ppid}\n`, 'not removed: not ours');
  });

  it('an API port in use: closes the engine and exits 1, saying why', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const c = config({ webui: { listen: `127.0.0.1:${port}` } });
      const io = streams();
      let engine: FakeEngine | undefined;
      const code = await runDaemonWith(c, {
        createEngine: async ({ log }) => (engine = new FakeEngine(log)),
        handleSignals: false,
        stderr: io.stderr,
        stdout: io.stdout,
      });
      assert.equal(code, 1);
      assert.equal(engine?.closeCalls, 1);
      assert.match(io.text.stderr, /webui\.listen: cannot listen on 127\.0\.0\.1:\d+: the address is already in use/);
      assert.equal(fs.existsSync(path.join(dir, 'shoal.pid')), false);
    } finally {
      blocker.close();
    }
  });

  it('an engine that fails to start: exit 1 with its message', async () => {
    const io = streams();
    const code = await runDaemonWith(config(), {
      createEngine: async () => {
        throw new ShoalError('IO_ERROR', 'Permission denied: /srv/storage/db');
      },
      handleSignals: false,
      stderr: io.stderr,
      stdout: io.stdout,
    });
    assert.equal(code, 1);
    assert.match(io.text.stderr, /shoal: Permission denied: \/srv\/storage\/db\n$/);
  });
});
