import { useEffect, useState } from 'react';
import type { FolderInfo, FolderPrefs } from '../../../engine/api/contract.js';
import { Dialog } from '../components/Dialog.js';
import { Switch } from '../components/Switch.js';
import { notYetNote } from '../lib/availability.js';
import { folderName } from '../lib/format.js';
import { useBridge, useServices } from '../state/hooks.js';
import { notify } from '../state/notify.js';
import { HostsEditor } from './HostsEditor.js';

const SWITCHES: { key: keyof FolderPrefs; label: string; description?: string }[] = [
  { key: 'use_relay_server', label: 'Use relay server when required' },
  { key: 'use_tracker', label: 'Use tracker server' },
  { key: 'search_lan', label: 'Search LAN', description: 'Find devices with this folder on the local network.' },
  { key: 'use_dht', label: 'Search DHT network' },
  { key: 'use_sync_trash', label: 'Store deleted files in SyncArchive', description: 'Keep deleted and replaced files in .SyncArchive inside the folder.' },
];

/** Folder Preferences: discovery switches, SyncArchive, predefined hosts, overwrite (read-only folders). */
export function FolderPrefsDialog({ folder, onClose }: { folder: FolderInfo; onClose(): void }) {
  const bridge = useBridge();
  const { store } = useServices();
  const [loaded, setLoaded] = useState<{ prefs: FolderPrefs; hosts: string[] } | null>(null);
  const [prefs, setPrefs] = useState<FolderPrefs | null>(null);
  const [hosts, setHosts] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const readOnly = folder.type === 'read_only';

  useEffect(() => {
    let live = true;
    void Promise.all([bridge.call('getFolderPrefs', { secret: folder.secret }), bridge.call('getFolderHosts', { secret: folder.secret })]).then(([p, h]) => {
      if (!live) return;
      if (!p.ok) return setError(p.error.message);
      if (!h.ok) return setError(h.error.message);
      setLoaded({ prefs: p.value, hosts: h.value.hosts });
      setPrefs(p.value);
      setHosts(h.value.hosts);
    });
    return () => {
      live = false;
    };
  }, [bridge, folder.secret]);

  const save = async () => {
    if (!prefs || !loaded) return;
    setBusy(true);
    setError(null);
    try {
      const change: Partial<FolderPrefs> = {};
      for (const k of Object.keys(prefs) as (keyof FolderPrefs)[]) if (prefs[k] !== loaded.prefs[k]) change[k] = prefs[k];
      if (Object.keys(change).length > 0) {
        const out = await bridge.call('setFolderPrefs', { secret: folder.secret, prefs: change });
        if (!out.ok) return setError(out.error.message);
      }
      if (hosts.join('\n') !== loaded.hosts.join('\n')) {
        const out = await bridge.call('setFolderHosts', { secret: folder.secret, hosts });
        if (!out.ok) return setError(out.error.message);
      }
      notify(store, { code: 'INFO', message: `Saved the preferences of “${folderName(folder.dir)}”.` });
      onClose();
    } finally {
      setBusy(false);
    }
  };

  const set = (key: keyof FolderPrefs) => (v: boolean) => setPrefs((p) => (p ? { ...p, [key]: v } : p));

  return (
    <Dialog
      title={`${folderName(folder.dir)} — Preferences`}
      onClose={onClose}
      testid="folder-prefs-dialog"
      footer={
        <>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="button" className="button primary" disabled={!prefs || busy} onClick={() => void save()} data-testid="folder-prefs-save">
            {busy ? 'Saving…' : 'Save'}
          </button>
        </>
      }
    >
      {!prefs && !error ? <p className="muted">Loading…</p> : null}
      {prefs ? (
        <>
          {SWITCHES.map((s) => {
            const note = notYetNote(s.key);
            return (
              <Switch
                key={s.key}
                label={s.label}
                description={s.description}
                checked={prefs[s.key]}
                onChange={set(s.key)}
                disabled={note !== null}
                note={note}
                testid={`folder-pref-${s.key}`}
              />
            );
          })}
          <Switch
            label="Use predefined hosts"
            description="Connect to these addresses directly (host:port of other devices with this folder)."
            checked={prefs.use_hosts}
            onChange={set('use_hosts')}
            testid="folder-pref-use_hosts"
          />
          <HostsEditor hosts={hosts} onChange={setHosts} disabled={!prefs.use_hosts} />
          {readOnly ? (
            <Switch
              label="Overwrite any changed files"
              description="Files changed on this read-only device are replaced again by the version from the other devices."
              checked={prefs.overwrite_changes}
              onChange={set('overwrite_changes')}
              testid="folder-pref-overwrite_changes"
            />
          ) : null}
        </>
      ) : null}
      {error ? (
        <p className="field-error" role="alert" data-testid="folder-prefs-error">
          {error}
        </p>
      ) : null}
    </Dialog>
  );
}
