import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { EngineMethods, FileEntry, FolderPrefs, PeerInfo, Prefs } from './api/contract.js';
import { partialFolderPrefsSchema, partialPrefsSchema, hostPortSchema } from './daemon/config-schema.js';
import type { Engine } from './engine.js';
import { uiMethods } from './engine-ui-methods.js';
import { ShoalError } from './errors.js';
import { isSynced } from './model/entry.js';
import { checkRelPath } from './model/paths.js';
import { removeTempLeftovers } from './transfer/assembler.js';
import { generateSecret, parseSecret } from './secrets/secret.js';

type Impl = { [M in keyof EngineMethods]: (e: Engine, p: Parameters<EngineMethods[M]>[0]) => Promise<ReturnType<EngineMethods[M]>> | ReturnType<EngineMethods[M]> };

const version: string = (() => {
  try {
    const require = createRequire(import.meta.url);
    for (const rel of ['../package.json', '../../package.json']) {
      try {
        return (require(rel) as { version: string }).version;
      } catch {
        // try the next layout (source vs dist)
      }
    }
  } catch {
    // fall through
  }
  return '0.0.0';
})();

function secretShown(e: Engine, id: string): string {
  return e.secretsById.get(id)!;
}

/** The engine's side of every method in the typed contract (validated input in, data out). */
export const engineMethods: Impl = {
  getFolders(e, p) {
    const list = [...e.folders.values()];
    const only = p?.secret ? [e.folderBySecret(p.secret)] : list;
    return only.map((f) => f.info(secretShown(e, f.id)));
  },

  async addFolder(e, p) {
    const dir = typeof p?.dir === 'string' ? p.dir.trim() : '';
    if (!dir || !path.isAbsolute(dir)) throw new ShoalError('BAD_PATH', 'Choose a folder by its full path.');
    let st;
    try {
      st = fs.statSync(dir);
    } catch {
      throw new ShoalError('BAD_PATH', `The folder ${dir} does not exist.`);
    }
    if (!st.isDirectory()) throw new ShoalError('BAD_PATH', `${dir} is not a folder.`);
    for (const f of e.folders.values()) {
      if (path.resolve(f.root) === path.resolve(dir)) throw new ShoalError('FOLDER_EXISTS', `${dir} is already synced.`);
    }
    const secret = p.secret?.trim() || generateSecret();
    parseSecret(secret); // BAD_SECRET with a clear message
    const prefs = { ...e.folderDefaults, ...(p.prefs ? partialFolderPrefsSchema.parse(p.prefs) : {}) };
    const folder = await e.openFolder({ secret, dir, prefs, knownHosts: [], source: 'api' });
    e.settings.addFolder({ secret, dir, prefs: p.prefs ?? {} });
    e.emit('foldersChanged', { reason: 'added' });
    return folder.info(secret);
  },

  async removeFolder(e, p) {
    const f = e.folderBySecret(p.secret);
    const root = f.root;
    // Stored under the secret it was added with (the caller may name it by its B… secret).
    const storedSecret = e.secretsById.get(f.id)!;
    await e.closeFolder(f);
    e.settings.removeFolder(storedSecret);
    await e.store.folder(f.id).clear();
    // The files stay; only our partial downloads go.
    if (fs.existsSync(root)) await removeTempLeftovers(root);
    e.emit('foldersChanged', { reason: 'removed' });
    return { removed: true };
  },

  getFiles(e, p) {
    const f = e.folderBySecret(p.secret);
    const prefix = p.path ? checkRelPath(p.path.replace(/\/+$/, '')) + '/' : '';
    const out: FileEntry[] = [];
    const dirs = new Set<string>();
    for (const [rel, entry] of f.entries) {
      if (!rel.startsWith(prefix)) continue;
      const rest = rel.slice(prefix.length);
      const slash = rest.indexOf('/');
      if (slash >= 0) {
        dirs.add(rest.slice(0, slash));
        continue;
      }
      const r = entry.record;
      if (r.kind === 'dir') {
        if (!r.deleted) dirs.add(rest);
        continue;
      }
      if (r.deleted) continue;
      const synced = isSynced(entry);
      const download = f.wantsContent(r);
      out.push({
        name: rest,
        type: 'file',
        size: r.size,
        have_pieces: synced ? r.chunks.length : 0,
        total_pieces: r.chunks.length,
        download: download ? 1 : 0,
        state: entry.localChanged ? 'local_change' : synced ? 'synced' : download ? 'downloading' : 'not_downloaded',
      });
    }
    for (const d of dirs) out.push({ name: d, type: 'folder', size: 0, have_pieces: 0, total_pieces: 0, download: 1, state: 'synced' });
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  },

  async setFilePrefs(e, p) {
    const f = e.folderBySecret(p.secret);
    const rel = checkRelPath(p.path.replace(/\/+$/, ''));
    if (!f.prefs.selective_sync) {
      if (!p.download) {
        throw new ShoalError('BAD_REQUEST', 'This folder downloads every file. Turn on selective sync for it (selective_sync) to choose which files are downloaded.');
      }
    } else {
      const entry = f.entries.get(rel);
      if (!entry || entry.record.kind !== 'file' || entry.record.deleted) throw new ShoalError('BAD_PATH', `No file ${rel} in this folder.`);
      await f.chooseFile(entry, p.download);
    }
    return engineMethods.getFiles(e, { secret: p.secret, path: rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : undefined });
  },

  getFolderPeers(e, p) {
    const f = e.folderBySecret(p.secret);
    const out: PeerInfo[] = [];
    for (const peer of f.peers.values()) {
      const link = peer.link;
      const down = f.downBytes(link.id);
      const up = f.upBytes(link.id);
      out.push({
        id: link.id,
        name: link.name,
        connection: 'direct',
        lan: link.lan,
        address: link.address,
        synced: down === 0 && up === 0 ? Math.floor(e.now() / 1000) : 0,
        download: down,
        upload: up,
        bytes_in: link.bytesIn,
        bytes_out: link.bytesOut,
      });
    }
    return out;
  },

  getSecrets(e, p) {
    if (!p?.secret) {
      const rw = generateSecret();
      return { read_write: rw, read_only: parseSecret(rw).readOnlySecret };
    }
    const keys = parseSecret(p.secret);
    // Only someone who already holds the full-access secret gets it back.
    return keys.kind === 'read_write' ? { read_write: p.secret, read_only: keys.readOnlySecret } : { read_only: keys.readOnlySecret };
  },

  getFolderPrefs(e, p) {
    return { ...e.folderBySecret(p.secret).prefs };
  },

  setFolderPrefs(e, p) {
    const f = e.folderBySecret(p.secret);
    const change: Partial<FolderPrefs> = partialFolderPrefsSchema.parse(p.prefs ?? {});
    f.prefs = { ...f.prefs, ...change };
    e.settings.setFolderPrefs(e.secretsById.get(f.id)!, f.root, change);
    if (change.search_lan !== undefined) void e.finder.refreshLan();
    if (change.overwrite_changes && f.readOnly) void f.rescan();
    if (change.selective_sync !== undefined) f.selectionChanged();
    e.emit('foldersChanged', { reason: 'prefs' });
    return { ...f.prefs };
  },

  getFolderHosts(e, p) {
    return { hosts: [...e.folderBySecret(p.secret).knownHosts] };
  },

  setFolderHosts(e, p) {
    const f = e.folderBySecret(p.secret);
    const hosts = (p.hosts ?? []).map((h) => h.trim()).filter(Boolean);
    for (const h of hosts) {
      if (!hostPortSchema.safeParse(h).success) throw new ShoalError('BAD_REQUEST', `"${h}" is not host:port.`);
    }
    f.knownHosts = hosts;
    e.settings.setFolderHosts(e.secretsById.get(f.id)!, f.root, hosts);
    // Like the periodic dial: predefined hosts are only used when use_hosts is on.
    if (!f.prefs.use_hosts || f.error) return { hosts };
    for (const h of hosts) {
      const i = h.lastIndexOf(':');
      e.peers.dial(h.slice(0, i).replace(/^\[|\]$/g, ''), Number(h.slice(i + 1)), [f]);
    }
    return { hosts };
  },

  getPrefs(e) {
    return { ...e.prefs };
  },

  setPrefs(e, p) {
    const change: Partial<Prefs> = partialPrefsSchema.parse(p.prefs ?? {});
    e.prefs = { ...e.prefs, ...change };
    e.settings.setPrefs(change);
    e.applyLimits();
    e.applyDiskPriority();
    e.peers.refreshLimits();
    const now = { ...e.prefs };
    e.emit('prefs', now);
    return now;
  },

  getOs() {
    return { os: os.platform() };
  },

  getVersion() {
    return { version };
  },

  getSpeed(e) {
    return { ...e.speed };
  },

  generateSecret() {
    const rw = generateSecret();
    return { read_write: rw, read_only: parseSecret(rw).readOnlySecret };
  },

  rescanFolder(e, p) {
    void e.folderBySecret(p.secret).rescan();
    return { started: true };
  },

  shutdown(e) {
    setImmediate(() => void e.close());
    return { stopping: true };
  },

  ...uiMethods,
};
