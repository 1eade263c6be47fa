import { useState } from 'react';
import { formatSpeed } from '../lib/format.js';
import { useApp, useBridge, useServices } from '../state/hooks.js';
import { notify } from '../state/notify.js';
import { DownIcon, PauseIcon, PlayIcon, UpIcon } from './Icons.js';

/** Bottom bar on every tab: pause state and button on the left, total speeds bottom-right. */
export function StatusBar() {
  const bridge = useBridge();
  const { store } = useServices();
  const status = useApp((s) => s.status);
  const down = useApp((s) => s.speed.download);
  const up = useApp((s) => s.speed.upload);
  const connected = useApp((s) => s.connection === 'connected');
  const [busy, setBusy] = useState(false);
  const paused = status?.paused ?? false;

  const toggle = async () => {
    setBusy(true);
    const out = await bridge.call('setPaused', { paused: !paused });
    setBusy(false);
    // The status event follows too; applying the answer makes the button flip at once.
    if (out.ok) store.setState({ status: out.value });
    else notify(store, out.error);
  };

  return (
    <footer className="statusbar" role="contentinfo">
      <div className="status-left">
        <button type="button" className="button small" onClick={() => void toggle()} disabled={busy || !connected || !status} data-testid="pause-button" aria-pressed={paused}>
          {paused ? <PlayIcon /> : <PauseIcon />}
          <span>{paused ? 'Resume' : 'Pause'}</span>
        </button>
        {paused ? (
          <span className="pause-indicator" data-testid="pause-indicator" role="status">
            Syncing is paused
          </span>
        ) : status ? (
          <span className="muted">
            {status.peers === 1 ? '1 device' : `${status.peers} devices`} connected
          </span>
        ) : null}
      </div>
      <div className="status-speed" data-testid="status-speed" aria-label={`Download ${formatSpeed(down)}, upload ${formatSpeed(up)}`}>
        <span className="speed-down">
          <DownIcon size={14} /> {formatSpeed(down)}
        </span>
        <span className="speed-up">
          <UpIcon size={14} /> {formatSpeed(up)}
        </span>
      </div>
    </footer>
  );
}
