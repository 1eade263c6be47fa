/** The five tabs, in order, with their stable test ids. */
export const TABS = [
  { id: 'devices', label: 'Devices', testid: 'tab-devices' },
  { id: 'mysync', label: 'My Sync', testid: 'tab-mysync' },
  { id: 'transfers', label: 'Transfers', testid: 'tab-transfers' },
  { id: 'history', label: 'History', testid: 'tab-history' },
  { id: 'preferences', label: 'Preferences', testid: 'tab-preferences' },
] as const;

export type TabId = (typeof TABS)[number]['id'];

/**
 * Keyboard movement in a tab list or menu (WAI-ARIA pattern): arrows move and wrap, Home
 * and End jump to the ends. Returns the new index, or null for a key that does not move.
 */
export function indexAfterKey(index: number, key: string, count: number, orientation: 'horizontal' | 'vertical' = 'horizontal'): number | null {
  if (count <= 0) return null;
  const next = orientation === 'horizontal' ? 'ArrowRight' : 'ArrowDown';
  const prev = orientation === 'horizontal' ? 'ArrowLeft' : 'ArrowUp';
  switch (key) {
    case next:
      return (index + 1) % count;
    case prev:
      return (index - 1 + count) % count;
    case 'Home':
      return 0;
    case 'End':
      return count - 1;
    default:
      return null;
  }
}

/** The tab a location hash names (`#/preferences`, as the tray's "Preferences…" opens), or null. */
export function tabFromHash(hash: string): TabId | null {
  const id = hash.replace(/^#\/?/, '');
  return TABS.find((t) => t.id === id)?.id ?? null;
}
