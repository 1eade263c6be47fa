import path from 'node:path';
import { ARCHIVE_DIR, TEMP_SUFFIX } from '../model/paths.js';
import { removeQuietly } from './temp-file.js';
import { walkNoFollow } from './walk.js';

/**
 * Delete every `*.!sync` temp file under `root` (when a folder is removed from the app,
 * so nothing half-built is left behind). Symlinks are not followed and .SyncArchive is
 * left alone. Call only when no assembler is running for this folder.
 * Returns the removed paths, relative to root with '/' separators.
 */
export async function removeTempLeftovers(root: string): Promise<string[]> {
  const rootAbs = path.resolve(root);
  const removed: string[] = [];
  await walkNoFollow(rootAbs, {
    enterDir: (abs) => !(path.dirname(abs) === rootAbs && path.basename(abs) === ARCHIVE_DIR),
    onFile: async (abs, entry) => {
      if (!entry.name.endsWith(TEMP_SUFFIX) || !(entry.isFile() || entry.isSymbolicLink())) return;
      await removeQuietly(abs);
      removed.push(path.relative(rootAbs, abs).split(path.sep).join('/'));
    },
  });
  return removed;
}
