import { useId } from 'react';
import { Switch } from '../components/Switch.js';
import { notYetNote } from '../lib/availability.js';
import { APPLIES_NOTE, type PrefDoc } from '../lib/pref-docs.js';
import type { DraftValue } from '../lib/prefs-form.js';

/** One preference: its control, what it means, when it applies, and its error if any. */
interface PrefFieldProps {
  doc: PrefDoc;
  value: DraftValue;
  onChange(value: DraftValue): void;
  error?: string;
  /** Show the key as a code label (the Advanced section names settings like the config file). */
  advanced?: boolean;
}

export function PrefField({ doc, value, onChange, error, advanced }: PrefFieldProps) {
  const id = useId();
  const notYet = notYetNote(doc.key);
  const applies = APPLIES_NOTE[doc.applies];
  const testid = `pref-${doc.key}`;

  if (doc.kind === 'boolean') {
    return (
      <div className={advanced ? 'pref advanced' : 'pref'}>
        <Switch
          label={doc.label}
          checked={value === true}
          onChange={onChange}
          disabled={notYet !== null}
          note={notYet ?? (applies && !notYet ? applies : null)}
          description={doc.description}
          testid={testid}
        />
        {error ? <p className="field-error" role="alert">{error}</p> : null}
      </div>
    );
  }

  const describedBy = `${id}-desc`;
  return (
    <div className={advanced ? 'pref field advanced' : 'pref field'}>
      <label htmlFor={id} className={advanced ? 'code-label' : undefined}>
        {doc.label}
      </label>
      <div className="input-row">
        <input
          id={id}
          type="text"
          inputMode={doc.kind === 'number' ? 'numeric' : undefined}
          value={String(value)}
          onChange={(e) => onChange(e.target.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={describedBy}
          className={doc.kind === 'number' ? 'number' : undefined}
          data-testid={testid}
          spellCheck={false}
        />
        {doc.unit ? <span className="unit">{doc.unit}</span> : null}
      </div>
      <p id={describedBy} className="field-note">
        {doc.description}
        {applies ? <span className="applies"> {applies}</span> : null}
      </p>
      {error ? (
        <p className="field-error" role="alert" data-testid={`${testid}-error`}>
          {error}
        </p>
      ) : null}
    </div>
  );
}
