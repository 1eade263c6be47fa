import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { chooseBridge } from './bridge/choose-bridge.js';
import { App } from './components/App.js';
import { ServicesContext, type AppServices } from './state/hooks.js';
import { createAppStore } from './state/store.js';
import { startSync } from './state/sync.js';
import { createUiStore } from './state/ui-state.js';
import { tabFromHash } from './lib/tabs.js';
import './styles.css';

// One renderer for both shells: the bridge decides where the engine is.
const bridge = chooseBridge();
const store = createAppStore();
const ui = createUiStore(tabFromHash(location.hash) ?? undefined);
const services: AppServices = { bridge, store, ui, sync: startSync(bridge, store) };
// The desktop tray opens a tab by setting the hash (e.g. "Preferences…" -> #/preferences).
window.addEventListener('hashchange', () => {
  const tab = tabFromHash(location.hash);
  if (tab) ui.getState().setTab(tab);
});
document.documentElement.dataset.shell = bridge.shell;

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ServicesContext.Provider value={services}>
      <App />
    </ServicesContext.Provider>
  </StrictMode>,
);
