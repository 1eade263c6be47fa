/**
 * Per-key async mutex. Choosing a free version name and renaming into it must not
 * interleave for the same archive directory, or two concurrent archives of `a.txt` could
 * pick the same number and one would overwrite the other (Node has no rename-noreplace).
 */
const tails = new Map<string, Promise<void>>();

export async function withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const prev = tails.get(key) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((r) => (release = r));
  const tail = prev.then(() => mine);
  tails.set(key, tail);
  await prev;
  try {
    return await fn();
  } finally {
    release();
    if (tails.get(key) === tail) tails.delete(key);
  }
}
