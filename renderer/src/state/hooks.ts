import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import type { ShoalBridge } from '../../../engine/api/bridge.js';
import type { AppState } from './app-state.js';
import type { AppStore } from './store.js';
import type { SyncController } from './sync.js';
import type { UiState, UiStore } from './ui-state.js';

/** What every component may reach: the bridge (the only way to the engine) and the stores. */
export interface AppServices {
  bridge: ShoalBridge;
  store: AppStore;
  ui: UiStore;
  sync: SyncController;
}

export const ServicesContext = createContext<AppServices | null>(null);

export function useServices(): AppServices {
  const s = useContext(ServicesContext);
  if (!s) throw new Error('useServices outside <ServicesContext.Provider>');
  return s;
}

export function useBridge(): ShoalBridge {
  return useServices().bridge;
}

/** Select from the engine store. Return stored values or primitives (not new objects) from the selector. */
export function useApp<T>(selector: (s: AppState) => T): T {
  return useStore(useServices().store, selector);
}

export function useUi<T>(selector: (s: UiState) => T): T {
  return useStore(useServices().ui, selector);
}
