import type { FolderPrefs, Prefs } from '../api/contract.js';
import type { DaemonConfig } from '../daemon/config.js';
import { PREF_KEYS } from '../daemon/config-schema.js';
import { parseSecret } from '../secrets/secret.js';
import type { StoredFolder, StoredSettings } from './settings-store.js';

/**
 * What the engine runs with: the config file merged with settings.json.
 *
 * Precedence, lowest to highest — the config file's own values are re-applied at every
 * start, so an admin's file always means what it says, while anything the file leaves
 * unset keeps the value last chosen through the API:
 *
 *   global prefs:     built-in default (device_name: hostname)
 *                   < settings.json prefs (set through the API)
 *                   < keys the config file sets explicitly
 *                     (except `listening_port: 0`, which means "pick one and keep it", so the
 *                      port the engine picked and stored wins over it)
 *
 *   folder switches:  built-in default
 *                   < config `folder_defaults`
 *                   < settings.json per-folder switches (set through the API)
 *                   < switches written in that folder's `shared_folders` entry
 *
 *   known hosts:      the entry's `known_hosts` if the config sets it, else the API-set list, else [].
 *
 *   folder list:      every `shared_folders` entry (source 'config', its dir from the file), then
 *                     every folder added through the API that is not the same folder as a config
 *                     entry (matched by folder id, so A… and B… of one folder are one folder).
 *                     Stored overrides for a folder the config no longer lists are dropped: removing
 *                     it from the file stops sharing it. Removing a config folder through the API
 *                     lasts only until the next start.
 */

export interface EffectiveFolder {
  secret: string;
  dir: string;
  prefs: FolderPrefs;
  knownHosts: string[];
  source: 'config' | 'api';
}

export interface EffectiveSettings {
  prefs: Prefs;
  /** For folders added later through the API (before any per-folder change). */
  folderDefaults: FolderPrefs;
  folders: EffectiveFolder[];
  /** Stored entries that were not used, with why (for the log; no secrets). */
  dropped: { dir: string; reason: string }[];
}

export function effectiveSettings(config: DaemonConfig, stored: StoredSettings): EffectiveSettings {
  const explicit = config.explicitPrefs.filter((k) => !(k === 'listening_port' && config.listening_port === 0));
  const prefs = { ...pickPrefs(config, PREF_KEYS), ...stored.prefs, ...pickPrefs(config, explicit) } as Prefs;

  const dropped: EffectiveSettings['dropped'] = [];
  const storedById = new Map<string, StoredFolder>();
  for (const f of stored.folders) {
    const id = folderIdOf(f.secret);
    if (id === null) dropped.push({ dir: f.dir, reason: 'invalid secret in settings.json' });
    else if (storedById.has(id)) dropped.push({ dir: f.dir, reason: 'the same folder is stored twice' });
    else storedById.set(id, f);
  }

  const folders: EffectiveFolder[] = [];
  for (const c of config.shared_folders) {
    // loadConfig has validated every config secret, so the id is never null here.
    const id = folderIdOf(c.secret) as string;
    const s = storedById.get(id);
    storedById.delete(id);
    folders.push({
      secret: c.secret,
      dir: c.dir,
      prefs: { ...config.folder_defaults, ...(s?.prefs ?? {}), ...c.prefs },
      knownHosts: [...(c.known_hosts ?? s?.known_hosts ?? [])],
      source: 'config',
    });
  }
  for (const s of storedById.values()) {
    if (!s.added_via_api) {
      dropped.push({ dir: s.dir, reason: 'no longer in the config file' });
      continue;
    }
    folders.push({
      secret: s.secret,
      dir: s.dir,
      prefs: { ...config.folder_defaults, ...s.prefs },
      knownHosts: [...(s.known_hosts ?? [])],
      source: 'api',
    });
  }
  return { prefs, folderDefaults: { ...config.folder_defaults }, folders, dropped };
}

function pickPrefs(config: DaemonConfig, keys: readonly (keyof Prefs)[]): Partial<Prefs> {
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = config[k];
  return out as Partial<Prefs>;
}

function folderIdOf(secret: string): string | null {
  try {
    return parseSecret(secret).folderIdHex;
  } catch {
    return null;
  }
}

