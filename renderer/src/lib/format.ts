/**
 * Human formatting of sizes, speeds, times and names. Pure and locale-independent so the
 * unit tests pin the exact text. Units are binary (1 kB = 1024 B) to match the kB/s of the
 * download/upload limits, as BitTorrent Sync showed them.
 */

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];

/** "0 B", "512 B", "1.5 kB", "12 MB", "3.2 GB". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes <= 0) return '0 B';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${Math.round(value)} B`;
  // One decimal below 10 (1.5 MB), none above (12 MB); never "10.0" or "1024 kB".
  const rounded = value < 10 ? Math.round(value * 10) / 10 : Math.round(value);
  if (rounded >= 1024 && unit < UNITS.length - 1) return `1 ${UNITS[unit + 1]}`;
  return `${rounded} ${UNITS[unit]}`;
}

/** "0 B/s", "1.5 MB/s". */
export function formatSpeed(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** A count with thousands separators that do not depend on the locale: 12 345. */
export function formatCount(n: number): string {
  const s = String(Math.max(0, Math.round(n)));
  return s.replace(/\B(?=(\d{3})+(?!\d))/g, '\u202f');
}

/** "1 file", "2 files". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

/** Whole percent of done/total, clamped to 0..100 (100 for an empty file). */
export function percent(done: number, total: number): number {
  if (!(total > 0)) return 100;
  return Math.max(0, Math.min(100, Math.floor((done / total) * 100)));
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** "14:03:27" for a moment today, "2024-03-05 14:03" otherwise (local time). */
export function formatTime(atMs: number, nowMs: number = Date.now()): string {
  const at = new Date(atMs);
  const now = new Date(nowMs);
  const sameDay = at.getFullYear() === now.getFullYear() && at.getMonth() === now.getMonth() && at.getDate() === now.getDate();
  const time = `${pad(at.getHours())}:${pad(at.getMinutes())}`;
  if (sameDay) return `${time}:${pad(at.getSeconds())}`;
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())} ${time}`;
}

/** The first 8 characters of a device id, upper case: enough to tell devices apart. */
export function shortId(id: string): string {
  return id.slice(0, 8).toUpperCase();
}

/** The last segment of a path, whichever separator it uses ("/home/a/Photos/" -> "Photos"). */
export function folderName(dir: string): string {
  const trimmed = dir.replace(/[\\/]+$/, '');
  const cut = Math.max(trimmed.lastIndexOf('/'), trimmed.lastIndexOf('\\'));
  const name = cut >= 0 ? trimmed.slice(cut + 1) : trimmed;
  return name || dir || '/';
}

/** `child` inside `dir`, joined with the separator the path already uses (Windows or POSIX). */
export function joinPath(dir: string, child: string): string {
  const sep = dir.includes('\\') && !dir.includes('/') ? '\\' : '/';
  return dir.endsWith(sep) ? `${dir}${child}` : `${dir}${sep}${child}`;
}

/** The device that made a change, as History shows it. */
export function deviceLabel(device: string): string {
  return device === '' ? 'This device' : device;
}
