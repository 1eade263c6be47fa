import { useMemo, useState } from 'react';
import type { FolderInfo } from '../../../engine/api/contract.js';
import { EmptyState } from '../components/EmptyState.js';
import { folderActions } from '../components/folder-actions.js';
import { Menu, type MenuItem } from '../components/Menu.js';
import { folderName } from '../lib/format.js';
import { useApp, useServices } from '../state/hooks.js';
import { FolderRow } from './FolderRow.js';

interface OpenMenu {
  dir: string;
  x: number;
  y: number;
  returnFocus: HTMLElement;
}

/** My Sync: the synced folders, Add Folder, and each folder's menu. */
export function MySyncTab() {
  const services = useServices();
  const folders = useApp((s) => s.folders);
  const devices = useApp((s) => s.devices);
  const loaded = useApp((s) => s.loaded);
  const [menu, setMenu] = useState<OpenMenu | null>(null);
  const actions = useMemo(() => folderActions(services), [services]);
  const open = services.ui.getState().openDialog;

  const deviceCounts = useMemo(() => {
    const counts = new Map<string, number>();
    for (const d of devices) for (const f of d.folders) counts.set(f.dir, (counts.get(f.dir) ?? 0) + 1);
    return counts;
  }, [devices]);

  const menuFolder = menu ? folders.find((f) => f.dir === menu.dir) : undefined;
  const menuItems = (f: FolderInfo): MenuItem[] => [
    { id: 'copy', label: f.type === 'read_only' ? 'Copy Secret (read only)' : 'Copy Secret', testid: 'menu-copy-secret', onSelect: () => void actions.copySecret(f) },
    { id: 'mobile', label: 'Connect Mobile', testid: 'menu-connect-mobile', onSelect: () => open({ kind: 'connectMobile', dir: f.dir }) },
    { id: 'info', label: 'Open Folder Info', testid: 'menu-folder-info', onSelect: () => open({ kind: 'folderInfo', dir: f.dir }) },
    { id: 'archive', label: 'Open SyncArchive', testid: 'menu-open-archive', onSelect: () => void actions.openArchive(f) },
    { id: 'prefs', label: 'Folder Preferences', testid: 'menu-folder-prefs', onSelect: () => open({ kind: 'folderPrefs', dir: f.dir }) },
    { id: 'remove', label: 'Remove', testid: 'menu-remove', danger: true, onSelect: () => open({ kind: 'removeFolder', dir: f.dir }) },
  ];

  return (
    <div className="tab-page">
      <div className="toolbar">
        <h2 className="page-title">My Sync</h2>
        <button type="button" className="button primary" data-testid="add-folder" onClick={() => open({ kind: 'addFolder' })}>
          + Add Folder
        </button>
      </div>
      {loaded && folders.length === 0 ? (
        <EmptyState title="No folders yet" testid="folders-empty">
          <p>Add a folder to start syncing it. Paste a secret you got from another device to receive its folder, or generate a new secret to share one of yours.</p>
          <button type="button" className="button primary" onClick={() => open({ kind: 'addFolder' })}>
            Add Folder
          </button>
        </EmptyState>
      ) : (
        <ul className="folder-list" aria-label="Synced folders" data-testid="folder-list">
          {folders.map((f) => (
            <FolderRow
              key={f.dir}
              folder={f}
              deviceCount={deviceCounts.get(f.dir) ?? 0}
              onOpen={() => void actions.open(f)}
              onMenu={(x, y, returnFocus) => setMenu({ dir: f.dir, x, y, returnFocus })}
            />
          ))}
        </ul>
      )}
      {menu && menuFolder ? (
        <Menu items={menuItems(menuFolder)} x={menu.x} y={menu.y} label={`Actions for ${folderName(menuFolder.dir)}`} onClose={() => setMenu(null)} returnFocus={menu.returnFocus} />
      ) : null}
    </div>
  );
}
