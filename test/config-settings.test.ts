import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { loadConfig, type DaemonConfig } from '../engine/daemon/config.js';
import { ShoalError } from '../engine/errors.js';
import { generateSecret, readOnlySecretOf } from '../engine/secrets/secret.js';
import { effectiveSettings } from '../engine/settings/effective.js';
import { SettingsStore, emptySettings, readSettings } from '../engine/settings/settings-store.js';

let dir: string;
let storage: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shoal-settings-'));
  storage = path.join(dir, 'storage');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function config(data: Record<string, unknown>): DaemonConfig {
  const file = path.join(dir, 'shoal.json');
  fs.writeFileSync(file, JSON.stringify({ storage_path: storage, ...data }));
  return loadConfig(file);
}

function mkdir(name: string): string {
  const d = path.join(dir, name);
  fs.mkdirSync(d, { recursive: true });
  return d;
}

describe('settings store', () => {
  it('starts empty and round-trips through settings.json', () => {
    const s = SettingsStore.open(storage);
    assert.deepEqual(s.get(), emptySettings());
    const secret = generateSecret();
    s.setPrefs({ download_limit: 50, device_name: 'renamed' });
    s.addFolder({ secret, dir: mkdir('a'), prefs: { use_dht: true } });
    s.setFolderHosts(secret, mkdir('a'), ['10.0.0.1:4000']);
    s.setFolderPrefs(secret, mkdir('a'), { search_lan: false });

    const again = SettingsStore.open(storage).get();
    assert.deepEqual(again.prefs, { download_limit: 50, device_name: 'renamed' });
    assert.equal(again.folders.length, 1);
    assert.deepEqual(again.folders[0].prefs, { use_dht: true, search_lan: false });
    assert.deepEqual(again.folders[0].known_hosts, ['10.0.0.1:4000']);
    assert.equal(again.folders[0].added_via_api, true);

    s.removeFolder(secret);
    assert.deepEqual(SettingsStore.open(storage).get().folders, []);
    assert.ok(fs.existsSync(path.join(storage, 'settings.json.bak')), 'previous version kept as .bak');
    assert.deepEqual(fs.readdirSync(storage).filter((n) => n.includes('.tmp')), [], 'no temp files left');
  });

  it('get() returns a copy', () => {
    const s = SettingsStore.open(storage);
    s.get().prefs.download_limit = 9;
    assert.deepEqual(s.get().prefs, {});
  });

  it('refuses to persist invalid values', () => {
    const s = SettingsStore.open(storage);
    assert.throws(() => s.setFolderHosts(generateSecret(), dir, ['not a host']), (e: unknown) => e instanceof ShoalError && e.code === 'BAD_REQUEST');
    assert.throws(() => s.setPrefs({ listening_port: 70000 }), /listening_port/);
    assert.deepEqual(SettingsStore.open(storage).get(), emptySettings(), 'nothing written');
  });

  it('a corrupt settings.json is a clear BAD_CONFIG naming the file', () => {
    fs.mkdirSync(storage);
    const file = path.join(storage, 'settings.json');
    for (const content of ['{ not json', JSON.stringify({ version: 1, prefs: { bogus: 1 } }), JSON.stringify({ version: 7 })]) {
      fs.writeFileSync(file, content);
      assert.throws(
        () => SettingsStore.open(storage),
        (e: unknown) => e instanceof ShoalError && e.code === 'BAD_CONFIG' && e.message.startsWith(file) && /damaged/.test(e.message),
      );
    }
    assert.deepEqual(readSettings(path.join(storage, 'absent.json')), emptySettings());
  });
});

describe('effective settings (config vs API precedence)', () => {
  it('prefs: default < API < explicit config key; listening_port 0 does not count as explicit', () => {
    const c = config({ download_limit: 10, listening_port: 0 });
    const stored = { ...emptySettings(), prefs: { download_limit: 99, upload_limit: 77, listening_port: 40000 } };
    const e = effectiveSettings(c, stored);
    assert.equal(e.prefs.download_limit, 10, 'config file wins for a key it sets');
    assert.equal(e.prefs.upload_limit, 77, 'API value survives for a key the file leaves unset');
    assert.equal(e.prefs.listening_port, 40000, 'the persisted random port is kept');
    assert.equal(e.prefs.sync_trash_ttl, 30, 'default');
    const fixed = effectiveSettings(config({ listening_port: 5555 }), stored);
    assert.equal(fixed.prefs.listening_port, 5555);
  });

  it('folders: config entries first, then API folders; switches and hosts merge by precedence', () => {
    const cfgSecret = generateSecret();
    const apiSecret = generateSecret();
    const c = config({
      folder_defaults: { use_dht: true },
      shared_folders: [{ secret: cfgSecret, dir: mkdir('cfg'), search_lan: false }],
    });
    const s = SettingsStore.open(storage);
    // API changes to the config folder: search_lan is pinned by the file, use_tracker is not.
    s.setFolderPrefs(cfgSecret, mkdir('cfg'), { search_lan: true, use_tracker: false });
    s.setFolderHosts(cfgSecret, mkdir('cfg'), ['10.0.0.9:1000']);
    s.addFolder({ secret: apiSecret, dir: mkdir('api'), prefs: { use_sync_trash: false } });

    const e = effectiveSettings(c, SettingsStore.open(storage).get());
    assert.deepEqual(
      e.folders.map((f) => [f.source, f.secret]),
      [
        ['config', cfgSecret],
        ['api', apiSecret],
      ],
    );
    const [cf, af] = e.folders;
    assert.equal(cf.prefs.search_lan, false, 'explicit in the folder entry: config wins');
    assert.equal(cf.prefs.use_tracker, false, 'API override survives where the file is silent');
    assert.equal(cf.prefs.use_dht, true, 'from folder_defaults');
    assert.deepEqual(cf.knownHosts, ['10.0.0.9:1000'], 'API hosts survive when the file sets none');
    assert.equal(af.prefs.use_sync_trash, false);
    assert.equal(af.prefs.use_dht, true, 'folder_defaults apply to API folders too');
    assert.deepEqual(af.knownHosts, []);
    assert.deepEqual(e.folderDefaults.use_dht, true);
  });

  it("config known_hosts replace the API's; the config folder wins over an API folder with its read-only secret", () => {
    const secret = generateSecret();
    const c = config({ shared_folders: [{ secret, dir: mkdir('cfg'), known_hosts: ['1.2.3.4:5'] }] });
    const stored = {
      ...emptySettings(),
      folders: [{ secret: readOnlySecretOf(secret), dir: mkdir('other'), prefs: { use_hosts: false }, known_hosts: ['9.9.9.9:9'], added_via_api: true }],
    };
    const e = effectiveSettings(c, stored);
    assert.equal(e.folders.length, 1);
    assert.equal(e.folders[0].source, 'config');
    assert.equal(e.folders[0].dir, mkdir('cfg'));
    assert.deepEqual(e.folders[0].knownHosts, ['1.2.3.4:5']);
    assert.equal(e.folders[0].prefs.use_hosts, false, 'stored switches still apply where the file is silent');
  });

  it('drops overrides for a folder removed from the config file', () => {
    const gone = generateSecret();
    const stored = { ...emptySettings(), folders: [{ secret: gone, dir: mkdir('x'), prefs: {}, added_via_api: false }] };
    const e = effectiveSettings(config({}), stored);
    assert.deepEqual(e.folders, []);
    assert.deepEqual(e.dropped, [{ dir: mkdir('x'), reason: 'no longer in the config file' }]);
  });
});
