/**
 * The commented sample printed by `shoal --dump-sample-config`. It must itself load with
 * loadConfig (tested), so every active line is a valid setting at its default value and
 * anything that needs a real path or secret is commented out.
 */
export function sampleConfigText(): string {
  return `// Shoal config file (JSON; // and /* */ comments are allowed).
// Run with: shoal --config /path/to/this/file
// Relative paths are resolved against this file's directory; "~/" is your home directory.
// A setting written here wins over changes made through the API, at every start; settings
// left commented out use the default shown and keep whatever the API last set.
{
  // Name other devices see. Default: this machine's hostname.
  // "device_name": "My NAS",

  // TCP/UDP port for peers. 0 = pick a random free port once and keep using it.
  // "listening_port": 0,

  // Where Shoal keeps its database, device key, settings.json and sync.log.
  "storage_path": "~/.shoal",

  // Write the daemon's process id here (removed on exit).
  // "pid_file": "/var/run/shoal/shoal.pid",
  // Address the peer listener binds to (default: all interfaces).
  // "bind_address": "0.0.0.0",

  // Map the listening port on the router with UPnP (not implemented yet; kept for compatibility).
  // "use_upnp": true,

  // Speed limits in kB/s; 0 = unlimited.
  // "download_limit": 0,
  // "upload_limit": 0,

  // HTTP API (BitTorrent Sync 1.x compatible, GET /api?method=...) and the Web UI
  // (http://<listen>/gui/, signing in with login and password when they are set).
  // Listening on anything but 127.0.0.1 / [::1] requires login and password.
  "webui": {
    "listen": "127.0.0.1:8888"
    // , "login": "admin"
    // , "password": "choose-a-long-password"
    // , "api_key": "at-least-16-random-characters"
  },

  // Folders shared from this file. Secrets: "shoal --generate-secret" makes a new read-write
  // (A...) secret; "shoal --get-ro-secret A..." gives its read-only (B...) secret.
  "shared_folders": [
    /*
    {
      "secret": "A...",                 // required
      "dir": "/home/user/Sync",         // required; must exist
      "use_relay_server": true,
      "use_tracker": true,
      "use_dht": false,
      "search_lan": true,
      "use_sync_trash": true,           // keep deleted and replaced files in .SyncArchive
      "overwrite_changes": false,
      "selective_sync": false,          // download only files chosen with set_file_prefs
      "use_hosts": true,                // connect to known_hosts below
      "known_hosts": ["192.168.1.2:44444"]
    }
    */
  ],

  // Advanced preferences (BitTorrent Sync defaults).
  // "disk_low_priority": true,
  // "external_port": 0,                    // port announced to peers when behind NAT; 0 = listening_port
  // "folder_rescan_interval": 600,         // seconds between full rescans (the watcher handles the rest)
  // "lan_encrypt_data": true,
  // "log_size": 10,                        // MB; sync.log rotates to sync.log.old beyond this
  // "max_file_size_diff_for_patching": 1000, // MB; an edit that changes a file's size by more is fetched whole
  // "max_file_size_for_versioning": 1000,  // MB; larger files are not kept in .SyncArchive
  // "rate_limit_local_peers": false,       // apply the speed limits to LAN peers too
  // "recv_buf_size": 5,                    // MB
  // "send_buf_size": 5,                    // MB
  // "sync_max_time_diff": 600,             // seconds of clock difference tolerated between peers
  // "sync_trash_ttl": 30,                  // days to keep files in .SyncArchive

  // Defaults for every folder's switches (a folder entry or the API can override them).
  "folder_defaults": {
    "search_lan": true,
    "use_dht": false,
    "use_hosts": true,
    "use_relay_server": true,
    "use_sync_trash": true,
    "use_tracker": true,
    "overwrite_changes": false,
    "selective_sync": false
  }
}
`;
}
