import { useApp } from '../state/hooks.js';

/** Shown while the engine cannot be reached; the bridge retries by itself. */
export function ConnectionBanner() {
  const connection = useApp((s) => s.connection);
  if (connection === 'connected') return null;
  return (
    <div className="banner" role="status" aria-live="polite" data-testid="connection-banner">
      {connection === 'connecting' ? 'Connecting to Shoal…' : 'Reconnecting… The connection to Shoal was lost; it will come back by itself.'}
    </div>
  );
}
