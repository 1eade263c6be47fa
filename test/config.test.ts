import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { defaultConfig, loadConfig, sampleConfigText } from '../engine/daemon/config.js';
import { parseJsonc } from '../engine/daemon/jsonc.js';
import { ShoalError } from '../engine/errors.js';
import { generateSecret, readOnlySecretOf } from '../engine/secrets/secret.js';

let dir: string;
let file: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shoal-config-'));
  file = path.join(dir, 'shoal.json');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(content: unknown): string {
  fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return file;
}

/** Asserts BAD_CONFIG whose message names the file and matches `problem`. */
function assertBad(content: unknown, problem: RegExp): void {
  write(content);
  assert.throws(
    () => loadConfig(file),
    (err: unknown) => {
      assert.ok(err instanceof ShoalError, String(err));
      assert.equal(err.code, 'BAD_CONFIG');
      assert.ok(err.message.startsWith(`${file}: `), `message should start with the file: ${err.message}`);
      assert.match(err.message, problem);
      return true;
    },
  );
}

function folder(extra: Record<string, unknown> = {}) {
  const d = fs.mkdtempSync(path.join(dir, 'f-'));
  return { secret: generateSecret(), dir: d, ...extra };
}

describe('config file', () => {
  it('the sample config loads, with BitTorrent Sync defaults', () => {
    write(sampleConfigText());
    const c = loadConfig(file);
    assert.equal(c.file, file);
    assert.equal(c.storage_path, path.join(os.homedir(), '.shoal'));
    assert.equal(c.webui.listen, '127.0.0.1:8888');
    assert.deepEqual(c.shared_folders, []);
    assert.equal(c.folder_rescan_interval, 600);
    assert.equal(c.sync_trash_ttl, 30);
    assert.equal(c.log_size, 10);
    assert.equal(c.disk_low_priority, true);
    assert.equal(c.rate_limit_local_peers, false);
    assert.equal(c.device_name, os.hostname());
    assert.deepEqual(c.explicitPrefs, [], 'the sample leaves prefs commented so API changes persist');
    assert.deepEqual(c.folder_defaults, {
      search_lan: true,
      use_dht: false,
      use_hosts: true,
      use_relay_server: true,
      use_sync_trash: true,
      use_tracker: true,
      overwrite_changes: false,
      selective_sync: false,
    });
  });

  it("the sample's commented folder example is valid once filled in", () => {
    const f = folder();
    const text = sampleConfigText()
      .replace('/*\n    {', '{')
      .replace('}\n    */', '}')
      .replace('"A...",', JSON.stringify(f.secret) + ',')
      .replace('"/home/user/Sync"', JSON.stringify(f.dir));
    write(text);
    const c = loadConfig(file);
    assert.equal(c.shared_folders.length, 1);
    assert.deepEqual(c.shared_folders[0].known_hosts, ['192.168.1.2:44444']);
    assert.equal(c.shared_folders[0].prefs.use_dht, false);
  });

  it('defaultConfig() matches an empty file', () => {
    write({});
    const { file: _a, ...fromFile } = loadConfig(file);
    const { file: _b, ...defaults } = defaultConfig();
    assert.deepEqual({ ...fromFile, storage_path: '' }, { ...defaults, storage_path: '' });
  });

  it('accepts // and /* */ comments outside strings, keeps // inside strings', () => {
    write(`// leading\n{ /* block\n spanning */ "device_name": "http://x//y", // trailing\n "storage_path": "./st" }`);
    const c = loadConfig(file);
    assert.equal(c.device_name, 'http://x//y');
    assert.equal(c.storage_path, path.join(dir, 'st'), 'relative paths resolve against the config file');
    assert.deepEqual(c.explicitPrefs, ['device_name']);
  });

  it('parses a full config with folders, hosts and prefs', () => {
    const f = folder({ use_dht: true, known_hosts: ['10.0.0.2:4000', 'nas.local:5000', '[fe80::1]:6000'] });
    write({
      device_name: 'box',
      listening_port: 44444,
      download_limit: 100,
      pid_file: path.join(dir, 'shoal.pid'),
      webui: { listen: '0.0.0.0:8888', login: 'admin', password: 'pw', api_key: 'k'.repeat(16) },
      shared_folders: [f],
      folder_defaults: { search_lan: false },
    });
    const c = loadConfig(file);
    assert.equal(c.listening_port, 44444);
    assert.deepEqual(c.explicitPrefs.sort(), ['device_name', 'download_limit', 'listening_port']);
    assert.deepEqual(c.shared_folders[0].prefs, { use_dht: true });
    assert.equal(c.shared_folders[0].known_hosts?.length, 3);
    assert.equal(c.folder_defaults.search_lan, false);
    assert.equal(c.folder_defaults.use_hosts, true);
  });

  it('rejects a missing file', () => assert.throws(() => loadConfig(path.join(dir, 'nope.json')), /nope\.json: file not found/));

  it('rejects invalid JSON with line and column', () => assertBad('{\n  "device_name": "x",\n}', /invalid JSON at line 3/));
  it('rejects a non-object', () => assertBad('[1]', /top level.*object/));
  it('rejects an unterminated comment', () => assertBad('{} /* x', /unterminated/));

  it('rejects wrong types, naming the key', () => {
    assertBad({ listening_port: '8888' }, /listening_port: expected number, received string/);
    assertBad({ use_upnp: 1 }, /use_upnp: expected boolean/);
    assertBad({ webui: { listen: 8888 } }, /webui\.listen: expected string/);
    assertBad({ shared_folders: [{ secret: 1, dir: dir }] }, /shared_folders\[0\]\.secret: expected string/);
  });

  it('rejects ports out of range', () => {
    assertBad({ listening_port: 70000 }, /listening_port: must be a port number/);
    assertBad({ external_port: -1 }, /external_port: must be a port number/);
    assertBad({ webui: { listen: '127.0.0.1:99999' } }, /webui\.listen: must be "host:port"/);
  });

  it('rejects unknown keys, suggesting the right one', () => {
    assertBad({ devce_name: 'x' }, /devce_name: unknown key \(did you mean "device_name"\?\)/);
    assertBad({ use_dht: true }, /use_dht: unknown key \(per-folder switches go in "folder_defaults"/);
    assertBad({ webui: { pasword: 'x' } }, /webui\.pasword: unknown key \(did you mean "password"\?\)/);
    assertBad({ shared_folders: [{ ...folder(), use_dth: true }] }, /shared_folders\[0\]\.use_dth: unknown key \(did you mean "use_dht"\?\)/);
  });

  it('rejects a folder dir that does not exist or is a file', () => {
    assertBad({ shared_folders: [{ secret: generateSecret(), dir: path.join(dir, 'missing') }] }, /shared_folders\[0\]\.dir: .*missing" does not exist/);
    fs.writeFileSync(path.join(dir, 'plain'), 'x');
    assertBad({ shared_folders: [{ secret: generateSecret(), dir: path.join(dir, 'plain') }] }, /is not a directory/);
  });

  it('rejects a bad secret', () => {
    assertBad({ shared_folders: [folder({ secret: 'hello' })] }, /shared_folders\[0\]\.secret: Unknown secret/);
    assertBad({ shared_folders: [folder({ secret: 'AAAA' })] }, /shared_folders\[0\]\.secret: This is not a valid read-write secret/);
  });

  it('rejects duplicate secrets, also A… and its own B…', () => {
    const a = folder();
    assertBad({ shared_folders: [a, folder({ secret: a.secret })] }, /shared_folders\[1\]\.secret: .*shared_folders\[0\].*duplicate/);
    assertBad({ shared_folders: [a, folder({ secret: readOnlySecretOf(a.secret) })] }, /shared_folders\[1\]\.secret: .*duplicate/);
  });

  it('rejects two folders in one directory', () => {
    const a = folder();
    assertBad({ shared_folders: [a, { secret: generateSecret(), dir: a.dir }] }, /shared_folders\[1\]\.dir: .*already used/);
  });

  it('rejects malformed known_hosts entries', () => {
    assertBad({ shared_folders: [folder({ known_hosts: ['nohost'] })] }, /shared_folders\[0\]\.known_hosts\[0\]: must be "host:port"/);
    assertBad({ shared_folders: [folder({ known_hosts: ['::1:80'] })] }, /known_hosts\[0\]: must be "host:port"/);
    assertBad({ shared_folders: [folder({ known_hosts: ['a:0'] })] }, /known_hosts\[0\]/);
  });

  it('rejects a storage_path that cannot be created', () => {
    fs.writeFileSync(path.join(dir, 'file'), 'x');
    assertBad({ storage_path: path.join(dir, 'file', 'sub') }, /storage_path: .*file" exists and is not a directory/);
  });

  it('refuses a non-loopback webui without a password, saying why', () => {
    assertBad({ webui: { listen: '0.0.0.0:8888' } }, /webui\.listen: .*other machines.*password is not set/);
    assertBad({ webui: { listen: '127.0.0.1:8888', login: 'a' } }, /webui: set both "login" and "password"/);
    write({ webui: { listen: '[::1]:8888' } });
    assert.equal(loadConfig(file).webui.listen, '[::1]:8888');
  });

  it('reports how many more problems there are', () => {
    assertBad({ use_upnp: 1, log_size: 'x' }, /\(and 1 more problem\)/);
  });
});

describe('jsonc', () => {
  it('keeps escaped quotes inside strings', () => {
    assert.deepEqual(parseJsonc('{"a": "x\\" // not a comment"}'), { a: 'x" // not a comment' });
  });
});
