import { useId } from 'react';

/** A labelled checkbox styled as a switch, with an optional note (e.g. "not available yet"). */
interface SwitchProps {
  label: string;
  checked: boolean;
  onChange(checked: boolean): void;
  disabled?: boolean;
  note?: string | null;
  description?: string;
  testid?: string;
}

export function Switch({ label, checked, onChange, disabled, note, description, testid }: SwitchProps) {
  const id = useId();
  const noteId = `${id}-note`;
  return (
    <div className={disabled ? 'field switch-field disabled' : 'field switch-field'}>
      <label htmlFor={id} className="switch">
        <input
          id={id}
          type="checkbox"
          role="switch"
          checked={checked}
          disabled={disabled}
          aria-describedby={note || description ? noteId : undefined}
          onChange={(e) => onChange(e.target.checked)}
          data-testid={testid}
        />
        <span className="switch-track" aria-hidden="true" />
        <span className="switch-label">{label}</span>
      </label>
      {note || description ? (
        <p id={noteId} className="field-note">
          {description}
          {description && note ? ' ' : null}
          {note ? <span className="not-yet">{note}</span> : null}
        </p>
      ) : null}
    </div>
  );
}
