import { useEffect, useState } from 'react';
import { copyText } from '../lib/clipboard.js';
import { useBridge } from '../state/hooks.js';

/** "Copy" that says "Copied" for a moment (or why it could not copy). */
export function CopyButton({ text, label = 'Copy', testid, what }: { text: string; label?: string; testid?: string; what?: string }) {
  const bridge = useBridge();
  const [state, setState] = useState<'idle' | 'copied' | { error: string }>('idle');

  useEffect(() => {
    if (state === 'idle') return;
    const t = setTimeout(() => setState('idle'), 2000);
    return () => clearTimeout(t);
  }, [state]);

  const onClick = () => {
    copyText(bridge, text).then(
      () => setState('copied'),
      (err: unknown) => setState({ error: err instanceof Error ? err.message : String(err) }),
    );
  };
  return (
    <span className="copy">
      <button type="button" className="button small" onClick={onClick} data-testid={testid} aria-label={what ? `${label} ${what}` : label}>
        {state === 'copied' ? 'Copied' : label}
      </button>
      <span role="status" className="copy-status">
        {typeof state === 'object' ? state.error : ''}
      </span>
    </span>
  );
}
