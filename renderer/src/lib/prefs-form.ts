import type { Prefs, UiPrefs } from '../../../engine/api/contract.js';
import type { PrefDoc } from './pref-docs.js';

/**
 * The Preferences form keeps a draft of what the user typed (strings for text and number
 * fields, booleans for switches). On Save, the draft becomes a setPrefs change with only
 * the keys that differ from the engine's values, after checking numbers here so the common
 * mistakes get a message next to the field without a round trip.
 */

export type DraftValue = string | boolean;
export type Draft = Partial<Record<keyof Prefs | keyof UiPrefs, DraftValue>>;

export interface ParsedDraft {
  prefs: Partial<Prefs>;
  uiPrefs: Partial<UiPrefs>;
  errors: Partial<Record<string, string>>;
}

export function parseNumberField(text: string, doc: Pick<PrefDoc, 'min' | 'max' | 'unit'>): { value: number } | { error: string } {
  const t = text.trim();
  if (!/^\d+$/.test(t)) return { error: 'Enter a whole number.' };
  const value = Number(t);
  const min = doc.min ?? 0;
  const max = doc.max ?? Number.MAX_SAFE_INTEGER;
  if (value < min || value > max) return { error: `Enter a number from ${min} to ${max}.` };
  return { value };
}

export function parseDraft(draft: Draft, docs: readonly PrefDoc[], prefs: Prefs, uiPrefs: UiPrefs | null): ParsedDraft {
  const out: ParsedDraft = { prefs: {}, uiPrefs: {}, errors: {} };
  const byKey = new Map(docs.map((d) => [d.key as string, d]));
  for (const [key, raw] of Object.entries(draft) as [string, DraftValue][]) {
    if (uiPrefs && key in uiPrefs) {
      if (typeof raw === 'boolean' && raw !== uiPrefs[key as keyof UiPrefs]) out.uiPrefs[key as keyof UiPrefs] = raw;
      continue;
    }
    const doc = byKey.get(key);
    if (!doc) continue;
    const current = prefs[doc.key];
    if (doc.kind === 'boolean') {
      if (typeof raw === 'boolean' && raw !== current) (out.prefs as Record<string, unknown>)[key] = raw;
    } else if (doc.kind === 'number') {
      const parsed = parseNumberField(String(raw), doc);
      if ('error' in parsed) out.errors[key] = parsed.error;
      else if (parsed.value !== current) (out.prefs as Record<string, unknown>)[key] = parsed.value;
    } else {
      const text = String(raw).trim();
      if (text === '') out.errors[key] = 'This cannot be empty.';
      else if (text !== current) (out.prefs as Record<string, unknown>)[key] = text;
    }
  }
  return out;
}

/** What the field shows: the draft if the user touched it, else the engine's value. */
export function shownValue(draft: Draft, key: keyof Prefs | keyof UiPrefs, engineValue: string | number | boolean | undefined): DraftValue {
  const d = draft[key];
  if (d !== undefined) return d;
  if (typeof engineValue === 'boolean') return engineValue;
  return engineValue === undefined ? '' : String(engineValue);
}
