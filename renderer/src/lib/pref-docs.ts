import type { Prefs } from '../../../engine/api/contract.js';

/**
 * What each preference means, for the Preferences tab (wording after the BitTorrent Sync
 * user guide, adjusted to what Shoal does), and when a change takes effect. Checked against
 * the engine: setPrefs re-applies limits and priority at once; the listener and the log are
 * set up at start; buffer sizes and the announced port are read per new connection.
 */

export type PrefKind = 'text' | 'number' | 'boolean';

/** When a changed value takes effect (shown as a note under the field). */
export type Applies = 'now' | 'restart' | 'new-connections' | 'restart-to-undo';

export interface PrefDoc {
  key: keyof Prefs;
  label: string;
  kind: PrefKind;
  description: string;
  unit?: string;
  min?: number;
  max?: number;
  applies: Applies;
}

export const APPLIES_NOTE: Record<Applies, string | null> = {
  now: null,
  restart: 'Takes effect after Shoal restarts.',
  'new-connections': 'Applies to new connections; restart Shoal to apply it to all.',
  'restart-to-undo': 'Turning it off takes effect after Shoal restarts.',
};

const MAX_INT = 2 ** 31 - 1;

export const GENERAL_PREFS: readonly PrefDoc[] = [
  { key: 'device_name', label: 'Device name', kind: 'text', description: 'The name other devices see for this one.', applies: 'new-connections' },
];

export const CONNECTION_PREFS: readonly PrefDoc[] = [
  { key: 'listening_port', label: 'Listening port', kind: 'number', min: 0, max: 65535, description: 'TCP port other devices connect to (0 picks a random port once).', applies: 'restart' },
  { key: 'use_upnp', label: 'Use UPnP port mapping', kind: 'boolean', description: 'Ask the router to forward the listening port.', applies: 'now' },
  { key: 'download_limit', label: 'Limit download rate', kind: 'number', unit: 'kB/s', min: 0, max: MAX_INT, description: '0 means unlimited.', applies: 'now' },
  { key: 'upload_limit', label: 'Limit upload rate', kind: 'number', unit: 'kB/s', min: 0, max: MAX_INT, description: '0 means unlimited.', applies: 'now' },
];

/** Every advanced preference, in the order BitTorrent Sync listed them (alphabetical). */
export const ADVANCED_PREFS: readonly PrefDoc[] = [
  { key: 'disk_low_priority', label: 'disk_low_priority', kind: 'boolean', description: 'Run file operations at a lower priority than your other programs, so syncing does not slow them down.', applies: 'restart-to-undo' },
  { key: 'external_port', label: 'external_port', kind: 'number', min: 0, max: 65535, description: 'The port announced to other devices when this one is behind a router that forwards a different port to it (0 = the listening port).', applies: 'new-connections' },
  { key: 'folder_rescan_interval', label: 'folder_rescan_interval', kind: 'number', unit: 's', min: 0, max: MAX_INT, description: 'Seconds between full rescans of each folder, catching changes the file watcher missed.', applies: 'now' },
  { key: 'lan_encrypt_data', label: 'lan_encrypt_data', kind: 'boolean', description: 'Encrypt data sent to devices on the local network. Turning it off saves CPU on a trusted LAN.', applies: 'new-connections' },
  { key: 'log_size', label: 'log_size', kind: 'number', unit: 'MB', min: 1, max: 10000, description: 'Maximum size of sync.log before it is rotated.', applies: 'restart' },
  { key: 'max_file_size_diff_for_patching', label: 'max_file_size_diff_for_patching', kind: 'number', unit: 'MB', min: 0, max: MAX_INT, description: 'Transfer only the changed parts of a file when its size changed by less than this; bigger changes transfer the whole file.', applies: 'now' },
  { key: 'max_file_size_for_versioning', label: 'max_file_size_for_versioning', kind: 'number', unit: 'MB', min: 0, max: MAX_INT, description: 'Files larger than this are not kept in .SyncArchive when they are changed or deleted.', applies: 'now' },
  { key: 'rate_limit_local_peers', label: 'rate_limit_local_peers', kind: 'boolean', description: 'Apply the download and upload limits to devices on the local network too (by default they apply to remote devices only).', applies: 'now' },
  { key: 'recv_buf_size', label: 'recv_buf_size', kind: 'number', unit: 'MB', min: 1, max: 1000, description: 'Memory used to buffer data received from each device.', applies: 'new-connections' },
  { key: 'send_buf_size', label: 'send_buf_size', kind: 'number', unit: 'MB', min: 1, max: 1000, description: 'Memory used to buffer data sent to each device.', applies: 'new-connections' },
  { key: 'sync_max_time_diff', label: 'sync_max_time_diff', kind: 'number', unit: 's', min: 0, max: MAX_INT, description: 'Maximum difference between device clocks; devices whose clocks differ more do not sync.', applies: 'new-connections' },
  { key: 'sync_trash_ttl', label: 'sync_trash_ttl', kind: 'number', unit: 'days', min: 0, max: MAX_INT, description: 'Days old versions and deleted files are kept in .SyncArchive before they are removed (0 keeps them forever).', applies: 'now' },
];
