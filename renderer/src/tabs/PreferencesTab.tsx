import { useState, type FormEvent } from 'react';
import type { Prefs, UiPrefs } from '../../../engine/api/contract.js';
import { Switch } from '../components/Switch.js';
import { prefKeyOfError } from '../lib/errors.js';
import { ADVANCED_PREFS, CONNECTION_PREFS, GENERAL_PREFS } from '../lib/pref-docs.js';
import { parseDraft, shownValue, type Draft, type DraftValue } from '../lib/prefs-form.js';
import { useApp, useBridge, useServices } from '../state/hooks.js';
import { PrefField } from './PrefField.js';

const ALL_DOCS = [...GENERAL_PREFS, ...CONNECTION_PREFS, ...ADVANCED_PREFS];

const NOTIFICATIONS: { key: keyof UiPrefs; label: string }[] = [
  { key: 'notify_sync_finished', label: 'When a folder finished syncing' },
  { key: 'notify_conflicts', label: 'When a conflict was resolved' },
  { key: 'notify_new_devices', label: 'When a new device connects' },
  { key: 'notify_errors', label: 'When an error occurs' },
];

/** Preferences: edited as a draft, saved together with setPrefs / setUiPrefs. */
export function PreferencesTab() {
  const bridge = useBridge();
  const { store } = useServices();
  const prefs = useApp((s) => s.prefs);
  const uiPrefs = useApp((s) => s.uiPrefs);
  const [draft, setDraft] = useState<Draft>({});
  const [errors, setErrors] = useState<Partial<Record<string, string>>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [advancedOpen, setAdvancedOpen] = useState(false);
  const desktop = bridge.shell === 'desktop';

  if (!prefs) return <p className="muted">Loading preferences…</p>;

  const set = (key: keyof Prefs | keyof UiPrefs) => (value: DraftValue) => {
    setDraft((d) => ({ ...d, [key]: value }));
    setErrors(({ [key]: _cleared, ...rest }) => rest);
    setSaved(null);
  };
  // An error inside the collapsed Advanced section must not go unseen.
  const showErrors = (errs: Partial<Record<string, string>>) => {
    setErrors(errs);
    if (ADVANCED_PREFS.some((d) => errs[d.key])) setAdvancedOpen(true);
  };
  const value = (key: keyof Prefs) => shownValue(draft, key, prefs[key]);
  const uiValue = (key: keyof UiPrefs) => shownValue(draft, key, uiPrefs?.[key] ?? false) === true;

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setFormError(null);
    setSaved(null);
    const parsed = parseDraft(draft, ALL_DOCS, prefs, uiPrefs);
    showErrors(parsed.errors);
    if (Object.keys(parsed.errors).length > 0) return;
    setSaving(true);
    try {
      if (Object.keys(parsed.prefs).length > 0) {
        const out = await bridge.call('setPrefs', { prefs: parsed.prefs });
        if (!out.ok) {
          const key = prefKeyOfError(out.error);
          if (key) showErrors({ [key]: out.error.message });
          else setFormError(out.error.message);
          return;
        }
        store.setState({ prefs: out.value });
      }
      if (Object.keys(parsed.uiPrefs).length > 0) {
        const out = await bridge.call('setUiPrefs', { prefs: parsed.uiPrefs });
        if (!out.ok) return setFormError(out.error.message);
        store.setState({ uiPrefs: out.value });
      }
      setDraft({});
      const restart = ALL_DOCS.filter((d) => d.applies === 'restart' && d.key in parsed.prefs).map((d) => d.label);
      setSaved(restart.length ? `Saved. ${restart.join(', ')}: takes effect after Shoal restarts.` : 'Saved.');
    } finally {
      setSaving(false);
    }
  };

  const dirty = Object.keys(draft).length > 0;
  const field = (doc: (typeof ALL_DOCS)[number], advanced = false) => (
    <PrefField key={doc.key} doc={doc} value={value(doc.key)} onChange={set(doc.key)} error={errors[doc.key]} advanced={advanced} />
  );

  return (
    <form className="tab-page prefs" onSubmit={(e) => void save(e)} noValidate>
      <div className="toolbar">
        <h2 className="page-title">Preferences</h2>
      </div>
      <div className="prefs-scroll">
        <fieldset>
          <legend>General</legend>
          {GENERAL_PREFS.map((d) => field(d))}
          <Switch
            label="Start Shoal when I log in"
            checked={desktop && uiValue('start_at_login')}
            onChange={set('start_at_login')}
            disabled={!desktop || !uiPrefs}
            note={desktop ? null : 'Only in the desktop app: a browser cannot start Shoal at login.'}
            testid="pref-start_at_login"
          />
        </fieldset>
        <fieldset>
          <legend>Notifications</legend>
          {!desktop ? <p className="field-note">Notifications are shown by the Shoal desktop app.</p> : null}
          {NOTIFICATIONS.map((n) => (
            <Switch key={n.key} label={n.label} checked={uiValue(n.key)} onChange={set(n.key)} disabled={!uiPrefs} testid={`pref-${n.key}`} />
          ))}
        </fieldset>
        <fieldset>
          <legend>Connection</legend>
          {CONNECTION_PREFS.map((d) => field(d))}
        </fieldset>
        <details className="advanced-section" data-testid="prefs-advanced" open={advancedOpen} onToggle={(e) => setAdvancedOpen(e.currentTarget.open)}>
          <summary>Advanced</summary>
          <p className="field-note">Settings for special setups. The names are the ones the config file uses.</p>
          {ADVANCED_PREFS.map((d) => field(d, true))}
        </details>
      </div>
      <div className="prefs-actions">
        <span role="status" className={formError ? 'field-error' : 'saved'} data-testid="prefs-status">
          {formError ?? saved ?? ''}
        </span>
        <button type="button" className="button" disabled={!dirty || saving} onClick={() => (setDraft({}), setErrors({}), setFormError(null))} data-testid="prefs-revert">
          Revert
        </button>
        <button type="submit" className="button primary" disabled={saving} data-testid="prefs-save">
          {saving ? 'Saving…' : 'Save'}
        </button>
      </div>
    </form>
  );
}
