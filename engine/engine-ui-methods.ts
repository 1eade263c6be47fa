import type { DeviceInfo, EngineMethods, MethodName, MethodParams, QueueItem, SyncQueue, TransferInfo } from './api/contract.js';
import { methodParamSchemas } from './api/params.js';
import { describeIssues } from './daemon/config-errors.js';
import type { Engine } from './engine.js';
import { ShoalError } from './errors.js';
import type { SyncFolder } from './model/folder.js';

/**
 * The engine's side of the methods the desktop app and the Web UI add on top of the
 * BitTorrent Sync API: status and pause, devices, sync queue, transfers, History, UI prefs.
 * Params are checked here too (with the transports' own schemas): in-process callers
 * reach the engine without a transport in between.
 */
type UiMethodName = 'getStatus' | 'setPaused' | 'getDevices' | 'getSyncQueue' | 'getTransfers' | 'getHistory' | 'getUiPrefs' | 'setUiPrefs';
type Impl = { [M in UiMethodName]: (e: Engine, p: Parameters<EngineMethods[M]>[0]) => ReturnType<EngineMethods[M]> };

const DEFAULT_QUEUE_LIMIT = 1000;

function checked<M extends MethodName>(method: M, p: MethodParams<M>): MethodParams<M> {
  const r = methodParamSchemas[method].safeParse(p ?? {});
  if (!r.success) throw new ShoalError('BAD_REQUEST', `${method}: ${describeIssues(r.error.issues)}`);
  return r.data as MethodParams<M>;
}

/** The folders a connected device shares with us, or PEER_GONE. */
function sharedWith(e: Engine, peerId: string): SyncFolder[] {
  const s = e.peers.sessions.get(peerId);
  if (!s || s.closed || s.joined.size === 0) throw new ShoalError('PEER_GONE', 'This device is not connected.');
  return [...s.joined.values()].map((link) => link.folder);
}

export const uiMethods: Impl = {
  getStatus(e, p) {
    checked('getStatus', p);
    return e.status.current();
  },

  setPaused(e, p) {
    const { paused } = checked('setPaused', p);
    return e.setPaused(paused);
  },

  getDevices(e, p) {
    checked('getDevices', p);
    return e.connectedDevices().map((s): DeviceInfo => {
      const speed = e.speedMeter.of(s.id);
      return {
        id: s.id,
        name: s.conn.remoteName,
        address: s.conn.remoteAddress,
        lan: s.conn.isLan,
        connection: 'direct',
        download_speed: speed.download,
        upload_speed: speed.upload,
        folders: [...s.joined.values()].map(({ folder: f }) => ({
          folder: f.id,
          dir: f.root,
          synced: f.syncedWith(s.id),
          download: f.downBytes(s.id),
          upload: f.upBytes(s.id),
        })),
      };
    });
  },

  getSyncQueue(e, p) {
    const { peerId, limit = DEFAULT_QUEUE_LIMIT } = checked('getSyncQueue', p);
    const q: SyncQueue = { download: [], upload: [], download_files: 0, upload_files: 0, download_bytes: 0, upload_bytes: 0 };
    for (const f of sharedWith(e, peerId)) {
      const { download, upload } = f.queueWith(peerId);
      for (const item of download) {
        q.download_files++;
        q.download_bytes += item.left;
        if (q.download.length < limit) q.download.push(queueItem(f, item));
      }
      for (const item of upload) {
        q.upload_files++;
        q.upload_bytes += item.left;
        if (q.upload.length < limit) q.upload.push(queueItem(f, item));
      }
    }
    return q;
  },

  getTransfers(e, p) {
    checked('getTransfers', p);
    const out: TransferInfo[] = [];
    const peers = (ids: string[]) => ids.map((id) => ({ id, name: e.deviceName(id) }));
    for (const f of e.folders.values()) {
      for (const t of f.puller.transfers()) {
        out.push({ folder: f.id, dir: f.root, path: t.record.path, direction: 'down', size: t.record.size, done: t.done, peers: peers(t.peers), speed: t.speed });
      }
      for (const t of f.uploads.active()) {
        out.push({ folder: f.id, dir: f.root, path: t.record.path, direction: 'up', size: t.record.size, done: t.done, peers: peers(t.peers), speed: t.speed });
      }
    }
    return out;
  },

  getHistory(e, p) {
    const { folder, limit } = checked('getHistory', p);
    return e.history.list({ folder, limit });
  },

  getUiPrefs(e, p) {
    checked('getUiPrefs', p);
    return e.settings.uiPrefs;
  },

  setUiPrefs(e, p) {
    const { prefs } = checked('setUiPrefs', p);
    e.settings.setUiPrefs(prefs);
    const now = e.settings.uiPrefs;
    e.emit('uiPrefs', now);
    return now;
  },
};

function queueItem(f: SyncFolder, item: { path: string; size: number; left: number }): QueueItem {
  return { folder: f.id, dir: f.root, path: item.path, size: item.size, left: item.left };
}
