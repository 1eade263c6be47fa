import fs from 'node:fs/promises';
import path from 'node:path';
import { ShoalError } from '../errors.js';
import { META_DIR } from './paths.js';

/**
 * A marker file (`.sync/ID`) inside each synced folder. If the folder's path disappears,
 * or is an empty mount point whose disk is unmounted, the marker is missing: the folder
 * stops with an error instead of taking the empty directory as "everything was deleted".
 */
const MARKER = 'ID';

export async function writeRootMarker(root: string, folderIdHex: string): Promise<void> {
  const dir = path.join(root, META_DIR);
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(dir, MARKER);
  try {
    if ((await fs.readFile(file, 'utf8')).trim() === folderIdHex) return;
  } catch {
    // missing: write it below
  }
  await fs.writeFile(file, folderIdHex + '\n');
}

/** Throws FOLDER_PATH_MISSING when the folder is gone or (if it had content) lost its marker. */
export async function checkRootPresent(root: string, folderIdHex: string, expectMarker: boolean): Promise<void> {
  let st;
  try {
    st = await fs.stat(root);
  } catch {
    throw new ShoalError('FOLDER_PATH_MISSING', `The folder ${root} is missing (was its disk unmounted?). Syncing is stopped for it; nothing was deleted.`);
  }
  if (!st.isDirectory()) throw new ShoalError('FOLDER_PATH_MISSING', `${root} is not a folder any more. Syncing is stopped for it.`);
  if (!expectMarker) return;
  try {
    const id = (await fs.readFile(path.join(root, META_DIR, MARKER), 'utf8')).trim();
    if (id === folderIdHex) return;
  } catch {
    // fall through
  }
  throw new ShoalError(
    'FOLDER_PATH_MISSING',
    `The folder ${root} no longer holds its synced content (its .sync marker is gone: was a disk unmounted?). Syncing is stopped for it; nothing was deleted.`,
  );
}
