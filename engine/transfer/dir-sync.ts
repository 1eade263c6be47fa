import { closeSync, fsyncSync, openSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { errnoOf } from './errors.js';

/**
 * fsync of a directory makes a rename durable. Many small files land in the same
 * directory at once, so requests are group-committed: while one fsync of a directory is
 * running, every new request for it shares the single follow-up fsync (which starts after
 * their renames, so it covers them). 16 renames in a directory cost ~2 fsyncs, not 16.
 */
interface DirState {
  running: Promise<void> | null;
  next: Promise<void> | null;
}

const dirs = new Map<string, DirState>();

export function fsyncDir(dir: string): Promise<void> {
  // Windows cannot open a directory for fsync; NTFS journals the rename metadata itself.
  if (process.platform === 'win32') return Promise.resolve();
  let st = dirs.get(dir);
  if (!st) {
    st = { running: null, next: null };
    dirs.set(dir, st);
  }
  if (!st.running) return start(dir, st);
  if (!st.next) {
    const state = st;
    st.next = state.running!.then(
      () => start(dir, state),
      () => start(dir, state),
    );
  }
  return st.next;
}

function start(dir: string, st: DirState): Promise<void> {
  st.next = null;
  const p = syncOnce(dir).finally(() => {
    if (st.running === p) st.running = null;
    if (!st.running && !st.next) dirs.delete(dir);
  });
  st.running = p;
  return p;
}

async function syncOnce(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch (err) {
    if (!refusedHere(err)) throw err;
  } finally {
    await fh?.close();
  }
}

/** fsyncDir with blocking calls, for a thread that may block (write-worker.ts), ungrouped. */
export function fsyncDirSync(dir: string): void {
  if (process.platform === 'win32') return;
  let fd: number | null = null;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch (err) {
    if (!refusedHere(err)) throw err;
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/**
 * Some filesystems (certain network and FUSE mounts) refuse to fsync directories; the
 * rename itself already happened, so this is a durability hint, not a failure.
 */
function refusedHere(err: unknown): boolean {
  const code = errnoOf(err);
  return code === 'EINVAL' || code === 'ENOTSUP' || code === 'EISDIR' || code === 'EPERM' || code === 'EACCES';
}
