import { useRef, type KeyboardEvent } from 'react';
import { TABS, indexAfterKey } from '../lib/tabs.js';
import { useServices, useUi } from '../state/hooks.js';

/**
 * The tab bar (WAI-ARIA tabs with automatic activation): only the selected tab is in the
 * Tab order; Left/Right/Home/End move to and select another tab.
 */
export function TabBar() {
  const { ui } = useServices();
  const tab = useUi((s) => s.tab);
  const refs = useRef<(HTMLButtonElement | null)[]>([]);

  const onKeyDown = (e: KeyboardEvent, index: number) => {
    const next = indexAfterKey(index, e.key, TABS.length);
    if (next === null) return;
    e.preventDefault();
    ui.getState().setTab(TABS[next]!.id);
    refs.current[next]?.focus();
  };

  return (
    <nav className="tabbar" role="tablist" aria-label="Shoal">
      {TABS.map((t, i) => (
        <button
          key={t.id}
          ref={(el) => {
            refs.current[i] = el;
          }}
          id={`tab-${t.id}`}
          type="button"
          role="tab"
          className="tab"
          aria-selected={tab === t.id}
          aria-controls={`panel-${t.id}`}
          tabIndex={tab === t.id ? 0 : -1}
          data-testid={t.testid}
          onClick={() => ui.getState().setTab(t.id)}
          onKeyDown={(e) => onKeyDown(e, i)}
        >
          {t.label}
        </button>
      ))}
    </nav>
  );
}
