import { useEffect, useRef } from 'react';
import { useApp, useServices } from '../state/hooks.js';
import { CloseIcon } from './Icons.js';

/** How long a confirmation ("Copied …") stays; errors stay until dismissed. */
const INFO_MS = 6000;

/** Engine errors and short confirmations that belong to no row or field; each can be dismissed. */
export function Notices() {
  const { store } = useServices();
  const notices = useApp((s) => s.notices);
  const dismiss = (id: number) => store.setState((s) => ({ notices: s.notices.filter((n) => n.id !== id) }));

  // One timer per confirmation, armed once: later notices must not extend earlier ones.
  const timers = useRef(new Map<number, ReturnType<typeof setTimeout>>());
  useEffect(() => {
    const live = new Set(notices.map((n) => n.id));
    for (const n of notices) {
      if (n.code === 'INFO' && !timers.current.has(n.id)) timers.current.set(n.id, setTimeout(() => dismiss(n.id), INFO_MS));
    }
    for (const [id, t] of timers.current) {
      if (!live.has(id)) {
        clearTimeout(t);
        timers.current.delete(id);
      }
    }
  }, [notices]);
  useEffect(
    () => () => {
      timers.current.forEach(clearTimeout);
      timers.current.clear();
    },
    [],
  );

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
