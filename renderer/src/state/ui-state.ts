import { createStore, type StoreApi } from 'zustand/vanilla';
import type { TabId } from '../lib/tabs.js';

/**
 * What the window itself is doing (not engine state): the selected tab and the open dialog.
 * Folders are named by their path (`dir`), unique per device, so a dialog always shows the
 * folder's current row from the engine store and closes if the folder goes away.
 */
export type Dialog =
  | { kind: 'addFolder' }
  | { kind: 'folderInfo'; dir: string }
  | { kind: 'connectMobile'; dir: string }
  | { kind: 'folderPrefs'; dir: string }
  | { kind: 'removeFolder'; dir: string }
  | { kind: 'showPath'; title: string; path: string }
  | { kind: 'syncQueue'; peerId: string };

export interface UiState {
  tab: TabId;
  dialog: Dialog | null;
  setTab(tab: TabId): void;
  openDialog(dialog: Dialog): void;
  closeDialog(): void;
}

export type UiStore = StoreApi<UiState>;

export function createUiStore(tab: TabId = 'mysync'): UiStore {
  return createStore<UiState>()((set) => ({
    tab,
    dialog: null,
    setTab: (t) => set({ tab: t }),
    openDialog: (dialog) => set({ dialog }),
    closeDialog: () => set({ dialog: null }),
  }));
}
