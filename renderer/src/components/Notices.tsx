import { useEffect } from 'react';
import { useApp, useServices } from '../state/hooks.js';
import { CloseIcon } from './Icons.js';

/** How long a confirmation ("Copied …") stays; errors stay until dismissed. */
const INFO_MS = 6000;

/** Engine errors and short confirmations that belong to no row or field; each can be dismissed. */
export function Notices() {
  const { store } = useServices();
  const notices = useApp((s) => s.notices);
  const dismiss = (id: number) => store.setState((s) => ({ notices: s.notices.filter((n) => n.id !== id) }));

  useEffect(() => {
    const timers = notices.filter((n) => n.code === 'INFO').map((n) => setTimeout(() => dismiss(n.id), INFO_MS));
    return () => timers.forEach(clearTimeout);
    // Re-armed whenever the list changes; dismiss only touches the store.
  }, [notices]);

  if (notices.length === 0) return null;
  return (
    <div className="notices" role="log" aria-live="polite" aria-label="Messages">
      {notices.map((n) => (
        <div key={n.id} className={n.code === 'INFO' ? 'notice info' : 'notice error'} data-testid="notice" data-code={n.code}>
          <span>{n.message}</span>
          <button type="button" className="icon-button" aria-label="Dismiss" onClick={() => dismiss(n.id)}>
            <CloseIcon size={14} />
          </button>
        </div>
      ))}
    </div>
  );
}
