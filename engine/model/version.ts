/**
 * Version vectors: one counter per device that changed a file. They tell a newer
 * version from an older one and detect concurrent edits (conflicts).
 */
export type VersionVector = ReadonlyArray<readonly [deviceId: string, counter: number]>;

export type Ordering = 'equal' | 'newer' | 'older' | 'concurrent';

function toMap(v: VersionVector): Map<string, number> {
  return new Map(v);
}

/** How `a` relates to `b`. */
export function compareVersions(a: VersionVector, b: VersionVector): Ordering {
  const am = toMap(a);
  const bm = toMap(b);
  let aGreater = false;
  let bGreater = false;
  for (const id of new Set([...am.keys(), ...bm.keys()])) {
    const x = am.get(id) ?? 0;
    const y = bm.get(id) ?? 0;
    if (x > y) aGreater = true;
    else if (y > x) bGreater = true;
  }
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
