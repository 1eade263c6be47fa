import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FolderPrefs, Prefs } from '../api/contract.js';
import { ShoalError } from '../errors.js';
import { parseSecret } from '../secrets/secret.js';
import { isLoopbackHost, parseHostPort } from './address.js';
import { describeIssues } from './config-errors.js';
import { FOLDER_PREF_DEFAULTS, FOLDER_PREF_KEYS, PREF_DEFAULTS, PREF_KEYS, configFileSchema } from './config-schema.js';
import { parseJsonc } from './jsonc.js';

export { sampleConfigText } from './sample-config.js';

/** One `shared_folders[]` entry after validation. */
export interface ConfigFolder {
  secret: string;
  /** Absolute path; relative paths in the file are resolved against the file's directory. */
  dir: string;
  /** undefined when the file does not set `known_hosts` (API-set hosts then survive restarts). */
  known_hosts: string[] | undefined;
  /** Only the switches this entry sets explicitly; the rest come from elsewhere (settings/effective.ts). */
  prefs: Partial<FolderPrefs>;
}

export interface WebuiConfig {
  listen: string;
  login?: string;
  password?: string;
  api_key?: string;
}

/** The parsed, validated config. Global prefs sit at the top level under their file names. */
export interface DaemonConfig extends Prefs {
  /** Absolute path of the file this came from; null for defaultConfig(). */
  file: string | null;
  /** Absolute; `~` expanded. May not exist yet (the daemon creates it). */
  storage_path: string;
  pid_file: string | null;
  /** Address the peer listener binds to; null = all interfaces. */
  bind_address: string | null;
  webui: WebuiConfig;
  shared_folders: ConfigFolder[];
  folder_defaults: FolderPrefs;
  /** Global prefs the file sets explicitly: these win over API changes at every start. */
  explicitPrefs: (keyof Prefs)[];
}

/** Read, parse and validate a config file; every problem is BAD_CONFIG "<file>: <path>: <problem>". */
export function loadConfig(file: string): DaemonConfig {
  const abs = path.resolve(file);
  let text: string;
  try {
    text = fs.readFileSync(abs, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw bad(abs, code === 'ENOENT' ? 'file not found' : `cannot read the file (${code ?? 'error'})`);
  }
  let raw: unknown;
  try {
    raw = parseJsonc(text);
  } catch (err) {
    throw bad(abs, (err as Error).message);
  }
  return fromData(raw, abs);
}

/** The config used when none is given (also the base the sample documents). */
export function defaultConfig(): DaemonConfig {
  return fromData({}, null);
}

function fromData(raw: unknown, file: string | null): DaemonConfig {
  const label = file ?? '(defaults)';
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw bad(label, '(top level): expected a JSON object { ... }');
  }
  const parsed = configFileSchema.safeParse(raw);
  if (!parsed.success) throw bad(label, describeIssues(parsed.error.issues));
  const data = parsed.data;
  const baseDir = file ? path.dirname(file) : process.cwd();
  const explicitPrefs = PREF_KEYS.filter((k) => Object.hasOwn(raw, k));
  const prefs: Prefs = { ...PREF_DEFAULTS, device_name: os.hostname() || 'shoal', ...definedOnly(data, PREF_KEYS) };
  const config: DaemonConfig = {
    ...prefs,
    file,
    storage_path: resolvePath(data.storage_path, baseDir),
    pid_file: data.pid_file ? resolvePath(data.pid_file, baseDir) : null,
    bind_address: data.bind_address ?? null,
    webui: { ...data.webui },
    shared_folders: data.shared_folders.map((f) => ({
      secret: f.secret.trim(),
      dir: resolvePath(f.dir, baseDir),
      known_hosts: f.known_hosts,
      prefs: definedOnly(f, FOLDER_PREF_KEYS),
    })),
    folder_defaults: { ...FOLDER_PREF_DEFAULTS, ...definedOnly(data.folder_defaults, FOLDER_PREF_KEYS) },
    explicitPrefs,
  };
  checkWebui(config.webui, label);
  checkStoragePath(config.storage_path, label);
  if (config.pid_file) checkParentDir(config.pid_file, 'pid_file', label);
  checkFolders(config.shared_folders, label);
  return config;
}

function checkWebui(w: WebuiConfig, label: string): void {
  const hp = parseHostPort(w.listen, 0);
  if (!hp) throw bad(label, `webui.listen: must be "host:port" like "127.0.0.1:8888" (got "${w.listen}")`);
  if (!!w.login !== !!w.password) {
    throw bad(label, 'webui: set both "login" and "password", or neither');
  }
  if (!isLoopbackHost(hp.host) && !w.password) {
    throw bad(
      label,
      `webui.listen: "${w.listen}" accepts connections from other machines, but webui.password is not set, ` +
        'so anyone who can reach this port could control Shoal. Set webui.login and webui.password, ' +
        'or listen on 127.0.0.1.',
    );
  }
}

/** Check storage_path could be created, without creating it (loading a config has no side effects). */
function checkStoragePath(dir: string, label: string): void {
  let probe = dir;
  for (;;) {
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(probe);
    } catch {
      const up = path.dirname(probe);
      if (up === probe) break;
      probe = up;
      continue;
    }
    if (!st.isDirectory()) throw bad(label, `storage_path: "${probe}" exists and is not a directory`);
    try {
      fs.accessSync(probe, fs.constants.W_OK | fs.constants.X_OK);
    } catch {
      const what = probe === dir ? 'is not writable' : `cannot be created ("${probe}" is not writable)`;
      throw bad(label, `storage_path: "${dir}" ${what}`);
    }
    return;
  }
}

function checkParentDir(file: string, key: string, label: string): void {
  const parent = path.dirname(file);
  if (!isDir(parent)) throw bad(label, `${key}: directory "${parent}" does not exist`);
}

function checkFolders(folders: ConfigFolder[], label: string): void {
  const byId = new Map<string, number>();
  const byDir = new Map<string, number>();
  folders.forEach((f, i) => {
    const where = `shared_folders[${i}]`;
    let id: string;
    try {
      id = parseSecret(f.secret).folderIdHex;
    } catch (err) {
      throw bad(label, `${where}.secret: ${(err as Error).message}`);
    }
    const prev = byId.get(id);
    if (prev !== undefined) {
      throw bad(label, `${where}.secret: the same folder is already shared by shared_folders[${prev}] (duplicate secret)`);
    }
    byId.set(id, i);
    if (!fs.existsSync(f.dir)) throw bad(label, `${where}.dir: "${f.dir}" does not exist`);
    if (!isDir(f.dir)) throw bad(label, `${where}.dir: "${f.dir}" is not a directory`);
    const prevDir = byDir.get(f.dir);
    if (prevDir !== undefined) {
      throw bad(label, `${where}.dir: "${f.dir}" is already used by shared_folders[${prevDir}]`);
    }
    byDir.set(f.dir, i);
  });
}

/** The listed keys of `obj` whose value is not undefined (so spreading them never erases a default). */
function definedOnly<T extends object, K extends keyof T>(obj: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (obj[k] !== undefined) out[k] = obj[k];
  return out;
}

function resolvePath(p: string, baseDir: string): string {
  if (p === '~') return os.homedir();
  if (p.startsWith('~/')) return path.join(os.homedir(), p.slice(2));
  return path.resolve(baseDir, p);
}

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function bad(label: string, problem: string): ShoalError {
  return new ShoalError('BAD_CONFIG', `${label}: ${problem}`);
}
