import { createStore, type StoreApi } from 'zustand/vanilla';
import { initialAppState, type AppState } from './app-state.js';

/** The engine-state store (vanilla, so tests and the sync controller use it without React). */
export type AppStore = StoreApi<AppState>;

export function createAppStore(initial: Partial<AppState> = {}): AppStore {
  return createStore<AppState>()(() => ({ ...initialAppState(), ...initial }));
}
