/**
 * Features the contract already names but the engine does not do yet. The UI shows their
 * switches disabled with this one-line note, so nobody thinks a switch works when it does
 * not. When the engine gains one, delete its line here and the switch comes alive.
 */
export const NOT_YET_AVAILABLE = {
  use_relay_server: 'Coming in a later version: Shoal does not use relay servers yet.',
  use_tracker: 'Coming in a later version: Shoal does not use trackers yet.',
  use_dht: 'Coming in a later version: Shoal does not search the DHT yet.',
  use_upnp: 'Coming in a later version: Shoal does not map ports with UPnP yet.',
} as const satisfies Record<string, string>;

export type NotYetFeature = keyof typeof NOT_YET_AVAILABLE;

/** The note for a setting that is not available yet, or null when it works. */
export function notYetNote(key: string): string | null {
  return Object.hasOwn(NOT_YET_AVAILABLE, key) ? NOT_YET_AVAILABLE[key as NotYetFeature] : null;
}

/**
 * Kinds of secret the Folder Info dialog can show. One-time and encrypted secrets arrive in
 * a later issue: add them here (and to `getSecrets`) and the dialog lists them; until then
 * it shows only what works.
 */
export const SECRET_KINDS = [
  { key: 'read_write', label: 'Full access', testid: 'secret-read-write' },
  { key: 'read_only', label: 'Read only', testid: 'secret-read-only' },
  // { key: 'one_time', label: 'One-time (24 h)', testid: 'secret-one-time' },        (later issue)
  // { key: 'encrypted', label: 'Encrypted (untrusted device)', testid: 'secret-encrypted' }, (later issue)
] as const;
