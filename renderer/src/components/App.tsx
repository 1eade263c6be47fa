import type { ComponentType } from 'react';
import { TABS, type TabId } from '../lib/tabs.js';
import { useUi } from '../state/hooks.js';
import { DevicesTab } from '../tabs/DevicesTab.js';
import { HistoryTab } from '../tabs/HistoryTab.js';
import { MySyncTab } from '../tabs/MySyncTab.js';
import { PreferencesTab } from '../tabs/PreferencesTab.js';
import { TransfersTab } from '../tabs/TransfersTab.js';
import { ConnectionBanner } from './ConnectionBanner.js';
import { DialogHost } from './DialogHost.js';
import { Notices } from './Notices.js';
import { StatusBar } from './StatusBar.js';
import { TabBar } from './TabBar.js';

const PANELS: Record<TabId, ComponentType> = {
  devices: DevicesTab,
  mysync: MySyncTab,
  transfers: TransfersTab,
  history: HistoryTab,
  preferences: PreferencesTab,
};

/**
 * The window: banner, tab bar, the selected tab's panel, messages, status bar. Only the
 * selected panel is rendered. While a dialog is open everything behind it is inert, so
 * neither Tab nor a screen reader can wander out of the dialog.
 */
export function App() {
  const tab = useUi((s) => s.tab);
  const dialogOpen = useUi((s) => s.dialog !== null);
  return (
    <div className="app">
      <div className="app-main" inert={dialogOpen}>
        <ConnectionBanner />
        <TabBar />
        <main className="content">
          {TABS.map(({ id }) => {
            const Panel = PANELS[id];
            return (
              <section key={id} id={`panel-${id}`} className="panel" role="tabpanel" aria-labelledby={`tab-${id}`} hidden={tab !== id} data-testid={`panel-${id}`}>
                {tab === id ? <Panel /> : null}
              </section>
            );
          })}
        </main>
        <Notices />
        <StatusBar />
      </div>
      <DialogHost />
    </div>
  );
}
