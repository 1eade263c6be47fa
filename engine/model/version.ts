/**
 * Version vectors: one counter per device that changed a file. They tell a newer
 * version from an older one and detect concurrent edits (conflicts).
 */
export type VersionVector = ReadonlyArray<readonly [deviceId: string, counter: number]>;

export type Ordering = 'equal' | 'newer' | 'older' | 'concurrent';

function toMap(v: VersionVector): Map<string, number> {
  return new Map(v);
}

/** The counter of `id` in `v` (0 when absent). Vectors hold a few devices: a scan is cheapest. */
function counterOf(v: VersionVector, id: string): number {
  for (const [d, c] of v) if (d === id) return c;
  return 0;
}

function hasDevice(v: VersionVector, id: string): boolean {
  for (const [d] of v) if (d === id) return true;
  return false;
}

/**
 * How `a` relates to `b`. Allocation-free: it runs for every file on every index, queue
 * and status computation.
 */
export function compareVersions(a: VersionVector, b: VersionVector): Ordering {
  if (a === b) return 'equal';
  let aGreater = false;
  let bGreater = false;
  for (const [id, x] of a) {
    const y = counterOf(b, id);
    if (x > y) aGreater = true;
    else if (y > x) bGreater = true;
  }
  // Devices only `b` has (a missing device counts as 0 in `a`).
  if (!bGreater) for (const [id, y] of b) if (y > 0 && !hasDevice(a, id)) bGreater = true;
  if (aGreater && bGreater) return 'concurrent';
  if (aGreater) return 'newer';
  if (bGreater) return 'older';
  return 'equal';
}

/** `base` advanced by one change on `deviceId`, with the result sorted for a canonical encoding. */
export function bumpVersion(base: VersionVector, deviceId: string): VersionVector {
  const m = toMap(base);
  m.set(deviceId, (m.get(deviceId) ?? 0) + 1);
  return [...m.entries()].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
}

/** Element-wise maximum: a version that dominates both. */
export function mergeVersions(a: VersionVector, b: VersionVector): VersionVector {
  const m = toMap(a);
  for (const [id, c] of b) m.set(id, Math.max(m.get(id) ?? 0, c));
  return [...m.entries()].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
}
