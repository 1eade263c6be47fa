import type { HistoryEntry } from '../../../engine/api/contract.js';

/**
 * Merge History entries into the kept list: newest first by `seq`, each seq once (an entry
 * can arrive both as an event and in a refetch after a reconnect), at most `cap` entries.
 */
export function mergeHistory(existing: readonly HistoryEntry[], incoming: readonly HistoryEntry[], cap: number): HistoryEntry[] {
  if (incoming.length === 0) return existing.length <= cap ? (existing as HistoryEntry[]) : existing.slice(0, cap);
  const newestKept = existing.length > 0 ? existing[0]!.seq : -Infinity;
  // Fast path, the common case: a few new events, all newer than anything kept.
  if (incoming.every((e) => e.seq > newestKept)) {
    const fresh = dedupeSorted([...incoming].sort(bySeqDesc));
    return fresh.concat(existing.slice(0, Math.max(0, cap - fresh.length))).slice(0, cap);
  }
  // Stable sort with the kept entries first: on a duplicate seq the one already shown stays.
  return dedupeSorted([...existing, ...incoming].sort(bySeqDesc)).slice(0, cap);
}

function bySeqDesc(a: HistoryEntry, b: HistoryEntry): number {
  return b.seq - a.seq;
}

function dedupeSorted(list: HistoryEntry[]): HistoryEntry[] {
  const out: HistoryEntry[] = [];
  for (const e of list) if (out.length === 0 || out[out.length - 1]!.seq !== e.seq) out.push(e);
  return out;
}
