import type { FileRecord } from '../model/record.js';
import { chunkMatches } from './blake.js';
import { finishTemp, type CommitOptions } from './commit.js';
import { fsError } from './errors.js';
import { writeFully } from './io.js';
import { hashMismatch, layoutOf } from './layout.js';
import { resolveInRoot } from './safe-path.js';
import { openTemp, removeQuietly, tempPathFor } from './temp-file.js';

/**
 * Fast path for a file that arrived whole (most files of a typical folder are tiny):
 * the same guarantees as FileAssembler - every chunk verified, temp + fsync + rename,
 * old version archived, local changes respected - with one write and no resume scan.
 * A temp that is left over from a failed attempt is removed.
 *
 * `opts` is required on purpose: overwriting without saying whether to archive would be
 * the easiest way to lose a user's file.
 */
export async function writeSmallFile(root: string, record: FileRecord, data: Buffer, opts: CommitOptions): Promise<void> {
  const layout = layoutOf(record);
  if (data.length !== record.size) throw hashMismatch(record.path, 0);
  for (let i = 0; i < record.chunks.length; i++) {
    const c = record.chunks[i]!;
    const start = layout.offsets[i]!;
    if (!chunkMatches(data.subarray(start, start + c.size), c.hash)) throw hashMismatch(record.path, i);
  }
  const targetAbs = await resolveInRoot(root, record.path, { createParents: true });
  const tempAbs = tempPathFor(targetAbs);
  const { fh } = await openTemp(tempAbs, false);
  try {
    await writeFully(fh, data, 0);
  } catch (err) {
    await fh.close().catch(() => {});
    await removeQuietly(tempAbs).catch(() => {});
    throw fsError(err, targetAbs, 'write');
  }
  try {
    await finishTemp(fh, tempAbs, targetAbs, record, opts);
  } catch (err) {
    // Nothing worth resuming in a small file; do not leave it taking space.
    await removeQuietly(tempAbs).catch(() => {});
    throw err;
  }
}
