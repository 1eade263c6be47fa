import type { FileRecord } from './record.js';
import { compareVersions } from './version.js';

/**
 * What to do with a record a peer sent, given ours. Pure and deterministic: every device
 * that sees the same two records makes the same choice, so concurrent edits converge.
 */
export type Decision =
  | { action: 'ignore' } // ours is the same or newer
  | { action: 'accept' } // theirs is newer: apply it
  | { action: 'accept-conflict' } // concurrent, theirs wins: keep ours in .SyncArchive, apply theirs
  | { action: 'keep-conflict' }; // concurrent, ours wins: the peer will archive its version

export function decide(ours: FileRecord | undefined, theirs: FileRecord): Decision {
  if (!ours) return { action: 'accept' };
  switch (compareVersions(theirs.version, ours.version)) {
    case 'newer':
      return { action: 'accept' };
    case 'older':
    case 'equal':
      return { action: 'ignore' };
    case 'concurrent':
      return theirsWins(ours, theirs) ? { action: 'accept-conflict' } : { action: 'keep-conflict' };
  }
}

/**
 * "Human action first priority": the change made last wins. Ties (same millisecond) are
 * broken by device id so the outcome is identical everywhere. A deletion never beats an
 * edit made at the same moment: keeping data is the safe side.
 */
export function theirsWins(ours: FileRecord, theirs: FileRecord): boolean {
  if (theirs.changedAt !== ours.changedAt) return theirs.changedAt > ours.changedAt;
  if (theirs.deleted !== ours.deleted) return !theirs.deleted;
  return theirs.origin > ours.origin;
}
