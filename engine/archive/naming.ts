/**
 * BitTorrent Sync's .SyncArchive naming: the first archived copy keeps its name
 * (`report.txt`); later ones are numbered before the extension (`report.1.txt`,
 * `report.2.txt`, ...). The highest number is always the newest, even after older
 * versions expired, because the next number is max + 1, never a reused gap.
 */

/** `report.txt` -> ['report', '.txt']; `.bashrc` and `Makefile` have no extension. */
export function splitExt(name: string): [stem: string, ext: string] {
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return [name, ''];
  return [name.slice(0, dot), name.slice(dot)];
}

export function versionName(name: string, n: number): string {
  if (n === 0) return name;
  const [stem, ext] = splitExt(name);
  return `${stem}.${n}${ext}`;
}

/**
 * The name the next archived version of `name` gets, given the names already in its
 * archive directory: the plain name if no version exists, else highest number + 1.
 */
export function nextVersionName(name: string, existing: Iterable<string>): string {
  const [stem, ext] = splitExt(name);
  let seen = false;
  let max = 0;
  for (const e of existing) {
    if (e === name) {
      seen = true;
      continue;
    }
    if (!e.startsWith(stem + '.') || !e.endsWith(ext)) continue;
    const middle = e.slice(stem.length + 1, e.length - ext.length);
    if (!/^[1-9][0-9]{0,8}$/.test(middle)) continue;
    seen = true;
    max = Math.max(max, Number(middle));
  }
  return seen ? versionName(name, max + 1) : name;
}
