import fs from 'node:fs';
import path from 'node:path';
import type { KnownDevices } from './notifications.js';

/**
 * Devices this app has seen before, kept in a small JSON file under userData, so "new
 * device" notifications mean new, not "connected since the app started".
 */
const MAX_DEVICES = 10_000;

export function fileKnownDevices(file: string): KnownDevices {
  let ids = new Set<string>();
  try {
    const data = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
    if (Array.isArray(data)) ids = new Set(data.filter((x): x is string => typeof x === 'string' && x.length <= 128).slice(-MAX_DEVICES));
  } catch {
    // first run or unreadable: start empty
  }
  return {
    has: (id) => ids.has(id),
    add(id) {
      if (ids.has(id)) return;
      ids.add(id);
      if (ids.size > MAX_DEVICES) ids = new Set([...ids].slice(-MAX_DEVICES));
      try {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        const tmp = `${file}.tmp`;
        fs.writeFileSync(tmp, JSON.stringify([...ids]), { mode: 0o600 });
        fs.renameSync(tmp, file);
      } catch {
        // Not being able to remember only means a repeated notification later.
      }
    },
  };
}
