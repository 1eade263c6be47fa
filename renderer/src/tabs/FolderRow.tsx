import type { KeyboardEvent, MouseEvent } from 'react';
import type { FolderInfo } from '../../../engine/api/contract.js';
import { MoreIcon, FolderIcon, LockIcon } from '../components/Icons.js';
import { folderStatus } from '../lib/derive.js';
import { folderName, formatBytes, plural } from '../lib/format.js';

/**
 * One folder in My Sync. Double-click or Enter opens it; right-click, the context-menu key,
 * Shift+F10 or the visible ⋯ button open its menu; Up/Down move between rows.
 */
interface FolderRowProps {
  folder: FolderInfo;
  deviceCount: number;
  onOpen(): void;
  onMenu(x: number, y: number, returnFocus: HTMLElement): void;
}

export function FolderRow({ folder, deviceCount, onOpen, onMenu }: FolderRowProps) {
  const status = folderStatus(folder);
  const name = folderName(folder.dir);
  const readOnly = folder.type === 'read_only';

  const menuAtElement = (el: HTMLElement, focus: HTMLElement) => {
    const r = el.getBoundingClientRect();
    onMenu(r.left + 16, r.bottom - 4, focus);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLLIElement>) => {
    if (e.target !== e.currentTarget) return; // keys on the ⋯ button are its own
    if (e.key === 'Enter') {
      e.preventDefault();
      onOpen();
    } else if (e.key === 'ContextMenu' || (e.key === 'F10' && e.shiftKey)) {
      e.preventDefault();
      menuAtElement(e.currentTarget, e.currentTarget);
    } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const sibling = e.key === 'ArrowDown' ? e.currentTarget.nextElementSibling : e.currentTarget.previousElementSibling;
      (sibling as HTMLElement | null)?.focus();
    }
  };

  const onContextMenu = (e: MouseEvent<HTMLLIElement>) => {
    e.preventDefault();
    onMenu(e.clientX, e.clientY, e.currentTarget);
  };

  return (
    <li
      className="folder-row"
      tabIndex={0}
      data-testid="folder-row"
      data-dir={folder.dir}
      data-type={folder.type}
      aria-label={`${name}${readOnly ? ', read only' : ''}, ${status.text}`}
      onDoubleClick={onOpen}
      onKeyDown={onKeyDown}
      onContextMenu={onContextMenu}
    >
      <span className="folder-icon">
        <FolderIcon size={22} />
        {readOnly ? (
          <span className="lock" data-testid="folder-readonly">
            <LockIcon size={12} title="Read only" />
          </span>
        ) : null}
      </span>
      <span className="folder-main">
        <span className="folder-name">{name}</span>
        <span className="folder-path" title={folder.dir}>
          {folder.dir}
        </span>
      </span>
      <span className="folder-size">
        <span>{formatBytes(folder.size)}</span>
        <span className="muted">{plural(folder.files, 'file')}</span>
      </span>
      <span className="folder-peers muted">{deviceCount === 0 ? 'No devices' : plural(deviceCount, 'device')}</span>
      <span className={`folder-status status-${status.kind}`} data-testid="folder-status" role={status.kind === 'error' ? 'alert' : undefined}>
        {status.kind === 'indexing' ? <span className="spinner" aria-hidden="true" /> : null}
        {status.text}
      </span>
      <button
        type="button"
        className="icon-button"
        aria-label={`Actions for ${name}`}
        aria-haspopup="menu"
        data-testid="folder-menu-button"
        onClick={(e) => menuAtElement(e.currentTarget, e.currentTarget)}
        onDoubleClick={(e) => e.stopPropagation()}
      >
        <MoreIcon />
      </button>
    </li>
  );
}
