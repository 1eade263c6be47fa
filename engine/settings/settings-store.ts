import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { FolderPrefs, Prefs, UiPrefs } from '../api/contract.js';
import { uiPrefsPartialSchema } from '../api/params.js';
import { describeIssues } from '../daemon/config-errors.js';
import { hostPortSchema, partialFolderPrefsSchema, partialPrefsSchema } from '../daemon/config-schema.js';
import { ShoalError } from '../errors.js';

/**
 * storage_path/settings.json: what was changed through the API and must survive a restart —
 * folders added through the API, per-folder switches and known hosts set through the API
 * (also for folders that come from the config file), global pref overrides, whether syncing
 * is paused, and the app's UI preferences. How this combines with the config file is
 * settings/effective.ts.
 *
 * Writes are atomic (temp file, fsync, rename, fsync dir) so a crash leaves either the old
 * or the new file, and the previous good file is kept as settings.json.bak.
 */

export const SETTINGS_FILE = 'settings.json';

const storedFolderSchema = z.strictObject({
  secret: z.string().min(1).max(4096),
  dir: z.string().min(1).max(4096),
  /** Only the switches set through the API. */
  prefs: partialFolderPrefsSchema.default({}),
  /** Set through the API; absent = never set. */
  known_hosts: z.array(hostPortSchema).max(1000).optional(),
  /** false: not a folder of its own, just API overrides for a folder the config file shares. */
  added_via_api: z.boolean(),
});

const storedSettingsSchema = z.strictObject({
  version: z.literal(1),
  prefs: partialPrefsSchema.default({}),
  folders: z.array(storedFolderSchema).default([]),
  /** Syncing paused by the user (setPaused); survives restarts like BitTorrent Sync's pause. */
  paused: z.boolean().default(false),
  /** UI preferences changed by the user; the rest are defaults (see uiPrefsOf). */
  ui: uiPrefsPartialSchema.default({}),
});

export type StoredFolder = z.output<typeof storedFolderSchema>;
export type StoredSettings = z.output<typeof storedSettingsSchema>;

export function emptySettings(): StoredSettings {
  return { version: 1, prefs: {}, folders: [], paused: false, ui: {} };
}

export const DEFAULT_UI_PREFS: Readonly<UiPrefs> = {
  start_at_login: false,
  notify_sync_finished: true,
  notify_conflicts: true,
  notify_new_devices: true,
  notify_errors: true,
};

/** Read and validate settings.json; a missing file is empty settings, a corrupt one is BAD_CONFIG. */
export function readSettings(file: string): StoredSettings {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptySettings();
    throw new ShoalError('BAD_CONFIG', `${file}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw corrupt(file, 'not valid JSON');
  }
  const parsed = storedSettingsSchema.safeParse(raw);
  if (!parsed.success) throw corrupt(file, describeIssues(parsed.error.issues));
  return parsed.data;
}

function corrupt(file: string, problem: string): ShoalError {
  return new ShoalError(
    'BAD_CONFIG',
    `${file}: ${problem}. The settings file is damaged; fix it, restore ${path.basename(file)}.bak, or delete it to start from the config file alone.`,
  );
}

/** Write atomically; keeps the previous version as `<file>.bak`. */
export function writeSettings(file: string, settings: StoredSettings): void {
  // Never persist something the next start could not load.
  const result = storedSettingsSchema.safeParse(settings);
  if (!result.success) throw new ShoalError('BAD_REQUEST', describeIssues(result.error.issues));
  const checked = result.data;
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = fs.openSync(tmp, 'w', 0o600);
  try {
    fs.writeSync(fd, JSON.stringify(checked, null, 2) + '\n');
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  if (fs.existsSync(file)) fs.copyFileSync(file, `${file}.bak`);
  fs.renameSync(tmp, file);
  fsyncDir(path.dirname(file));
}

function fsyncDir(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // Some filesystems refuse fsync on a directory; the rename is still atomic there.
  }
}

/**
 * The engine's handle on settings.json. Every mutator persists before returning, so an
 * API call that reported success survives a crash. Entries are keyed by the secret string
 * the engine uses for the folder; effective.ts matches them to config folders by folder id.
 */
export class SettingsStore {
  private data: StoredSettings;

  private constructor(
    readonly file: string,
    data: StoredSettings,
  ) {
    this.data = data;
  }

  /** Open storage_path/settings.json (creating storage_path if needed). Throws BAD_CONFIG if corrupt. */
  static open(storagePath: string): SettingsStore {
    fs.mkdirSync(storagePath, { recursive: true, mode: 0o700 });
    const file = path.join(storagePath, SETTINGS_FILE);
    return new SettingsStore(file, readSettings(file));
  }

  /** A deep copy: callers cannot change stored state behind the store's back. */
  get(): StoredSettings {
    return structuredClone(this.data);
  }

  setPrefs(prefs: Partial<Prefs>): void {
    this.update((d) => {
      d.prefs = { ...d.prefs, ...prefs };
    });
  }

  get paused(): boolean {
    return this.data.paused;
  }

  setPaused(paused: boolean): void {
    this.update((d) => {
      d.paused = paused;
    });
  }

  /** The UI preferences in effect: defaults, overridden by what the user changed. */
  get uiPrefs(): UiPrefs {
    return { ...DEFAULT_UI_PREFS, ...this.data.ui };
  }

  setUiPrefs(change: Partial<UiPrefs>): void {
    this.update((d) => {
      d.ui = { ...d.ui, ...change };
    });
  }

  /** Record a folder added through the API (replaces an earlier entry for the same secret). */
  addFolder(folder: { secret: string; dir: string; prefs?: Partial<FolderPrefs>; known_hosts?: string[] }): void {
    this.update((d) => {
      d.folders = d.folders.filter((f) => f.secret !== folder.secret);
      d.folders.push({ secret: folder.secret, dir: folder.dir, prefs: folder.prefs ?? {}, known_hosts: folder.known_hosts, added_via_api: true });
    });
  }

  /** Forget a folder and its overrides. (A config-file folder comes back at the next start.) */
  removeFolder(secret: string): void {
    this.update((d) => {
      d.folders = d.folders.filter((f) => f.secret !== secret);
    });
  }

  /**
   * Record switches set through the API. `dir` is needed when the folder is a config-file
   * folder without stored overrides yet (an override entry is created for it).
   */
  setFolderPrefs(secret: string, dir: string, prefs: Partial<FolderPrefs>): void {
    this.update((d) => {
      const f = entryFor(d, secret, dir);
      f.prefs = { ...f.prefs, ...prefs };
    });
  }

  setFolderHosts(secret: string, dir: string, hosts: string[]): void {
    this.update((d) => {
      entryFor(d, secret, dir).known_hosts = [...hosts];
    });
  }

  /** Apply a change to a copy, persist it, and only then make it current. */
  update(change: (draft: StoredSettings) => void): void {
    const draft = structuredClone(this.data);
    change(draft);
    writeSettings(this.file, draft);
    this.data = draft;
  }
}

function entryFor(d: StoredSettings, secret: string, dir: string): StoredFolder {
  let f = d.folders.find((x) => x.secret === secret);
  if (!f) {
    f = { secret, dir, prefs: {}, known_hosts: undefined, added_via_api: false };
    d.folders.push(f);
  }
  return f;
}
