import { z } from 'zod';
import type { FolderPrefs, Prefs } from '../api/contract.js';
import { parseHostPort } from './address.js';

/**
 * The config file's shape, with BitTorrent Sync 1.x key names and defaults. Every object is
 * strict: an unknown key (usually a typo) is an error, because a silently ignored setting
 * is worse than a daemon that refuses to start and says why.
 *
 * Prefs and per-folder switches are optional in the schema and defaulted afterwards, because
 * whether the file set a key explicitly matters for precedence (see settings/effective.ts).
 * The same value schemas validate settings.json and prefs set through the API.
 */

const MAX_INT = 2 ** 31 - 1;
const uint = (max = MAX_INT) => z.int().min(0).max(max);
const port = () => z.int().min(0, 'must be a port number 0..65535').max(65535, 'must be a port number 0..65535');

export const FOLDER_PREF_DEFAULTS: FolderPrefs = {
  search_lan: true,
  use_dht: false,
  use_hosts: true,
  use_relay_server: true,
  use_sync_trash: true,
  use_tracker: true,
  overwrite_changes: false,
  selective_sync: false,
};
export const FOLDER_PREF_KEYS = Object.keys(FOLDER_PREF_DEFAULTS) as (keyof FolderPrefs)[];

export const folderPrefSchemas = {
  search_lan: z.boolean(),
  use_dht: z.boolean(),
  use_hosts: z.boolean(),
  use_relay_server: z.boolean(),
  use_sync_trash: z.boolean(),
  use_tracker: z.boolean(),
  overwrite_changes: z.boolean(),
  selective_sync: z.boolean(),
} satisfies Record<keyof FolderPrefs, z.ZodType>;
export const partialFolderPrefsSchema = z.strictObject(folderPrefSchemas).partial();

/** Defaults of the global prefs; device_name defaults to the hostname at load time. */
export const PREF_DEFAULTS: Omit<Prefs, 'device_name'> = {
  listening_port: 0, // 0 = pick a random port once; the engine persists the one it picked
  use_upnp: true,
  download_limit: 0,
  upload_limit: 0,
  disk_low_priority: true,
  external_port: 0,
  folder_rescan_interval: 600,
  lan_encrypt_data: true,
  log_size: 10,
  max_file_size_diff_for_patching: 1000,
  max_file_size_for_versioning: 1000,
  rate_limit_local_peers: false,
  recv_buf_size: 5,
  send_buf_size: 5,
  sync_max_time_diff: 600,
  sync_trash_ttl: 30,
};

/** Global prefs: the config's top-level keys, also settable at run time (contract `Prefs`). */
export const prefSchemas = {
  device_name: z.string().trim().min(1, 'is empty').max(255),
  listening_port: port(),
  use_upnp: z.boolean(),
  download_limit: uint(),
  upload_limit: uint(),
  disk_low_priority: z.boolean(),
  external_port: port(),
  folder_rescan_interval: uint(),
  lan_encrypt_data: z.boolean(),
  log_size: z.int().min(1).max(10_000),
  max_file_size_diff_for_patching: uint(),
  max_file_size_for_versioning: uint(),
  rate_limit_local_peers: z.boolean(),
  recv_buf_size: z.int().min(1).max(1000),
  send_buf_size: z.int().min(1).max(1000),
  sync_max_time_diff: uint(),
  sync_trash_ttl: uint(),
} satisfies Record<keyof Prefs, z.ZodType>;
export const partialPrefsSchema = z.strictObject(prefSchemas).partial();
export const PREF_KEYS = Object.keys(prefSchemas) as (keyof Prefs)[];

export const hostPortSchema = z
  .string()
  .max(300)
  .refine((s) => parseHostPort(s) !== null, { message: 'must be "host:port" (IPv6 as "[addr]:port", port 1..65535)' });

export const sharedFolderSchema = z.strictObject({
  secret: z.string().min(1, 'is empty').max(4096),
  dir: z.string().min(1, 'is empty').max(4096),
  known_hosts: z.array(hostPortSchema).max(1000).optional(),
  ...partialFolderPrefsSchema.shape,
});

const webuiSchema = z.strictObject({
  listen: z.string().max(300).default('127.0.0.1:8888'),
  login: z.string().min(1, 'is empty').max(256).optional(),
  password: z.string().min(1, 'is empty').max(256).optional(),
  api_key: z.string().min(16, 'is too short (use at least 16 characters)').max(256).optional(),
});

export const configFileSchema = z.strictObject({
  storage_path: z.string().min(1, 'is empty').max(4096).default('~/.shoal'),
  pid_file: z.string().min(1, 'is empty').max(4096).optional(),
  /** Address the peer listener binds to (Shoal extension; default all interfaces). */
  bind_address: z.ipv4().or(z.ipv6()).optional(),
  webui: webuiSchema.prefault({}),
  shared_folders: z.array(sharedFolderSchema).max(10_000).default([]),
  folder_defaults: partialFolderPrefsSchema.prefault({}),
  ...partialPrefsSchema.shape,
});

export type ConfigFileData = z.output<typeof configFileSchema>;
