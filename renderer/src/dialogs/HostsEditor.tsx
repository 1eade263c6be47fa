import { useId, useState, type KeyboardEvent } from 'react';
import { hostPortProblem } from '../lib/host-port.js';

/** The predefined hosts list: add host:port entries (checked as typed), remove them. */
export function HostsEditor({ hosts, onChange, disabled }: { hosts: string[]; onChange(hosts: string[]): void; disabled?: boolean }) {
  const [entry, setEntry] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const id = useId();

  const add = () => {
    const h = entry.trim();
    const p = hostPortProblem(h);
    if (p) return setProblem(p);
    if (hosts.includes(h)) return setProblem(`${h} is already in the list.`);
    onChange([...hosts, h]);
    setEntry('');
    setProblem(null);
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'Enter') {
      e.preventDefault(); // not the dialog's submit: Enter here adds the host
      add();
    }
  };

  return (
    <div className={disabled ? 'hosts disabled' : 'hosts'}>
      {hosts.length === 0 ? (
        <p className="field-note">No predefined hosts.</p>
      ) : (
        <ul className="hosts-list" aria-label="Predefined hosts" data-testid="hosts-list">
          {hosts.map((h) => (
            <li key={h} data-testid="host-item">
              <code>{h}</code>
              <button type="button" className="button small" disabled={disabled} onClick={() => onChange(hosts.filter((x) => x !== h))} aria-label={`Remove ${h}`}>
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      <label htmlFor={id} className="visually-hidden">
        Add a host
      </label>
      <div className="input-row">
        <input
          id={id}
          value={entry}
          disabled={disabled}
          placeholder="host:port, e.g. 192.168.1.20:4000"
          onChange={(e) => (setEntry(e.target.value), setProblem(null))}
          onKeyDown={onKeyDown}
          aria-invalid={problem ? true : undefined}
          spellCheck={false}
          data-testid="hosts-input"
        />
        <button type="button" className="button" disabled={disabled || entry.trim() === ''} onClick={add} data-testid="hosts-add">
          Add
        </button>
      </div>
      {problem ? (
        <p className="field-error" role="alert" data-testid="hosts-error">
          {problem}
        </p>
      ) : null}
    </div>
  );
}
