/**
 * Renames this device is about to make onto paths where no file is (downloads of files new
 * here), so that the watcher can skip their OS events (watcher.ts expectOwnRename): each
 * expectation covers the next rename event at its path, while the write runs and
 * GRACE_MS after it landed. Expectations whose event never came (a folder not watched yet,
 * events lost in a burst) are swept from time to time.
 */
/**
 * How long after a write landed its rename's event may still arrive and be recognized: the
 * event and the write's completion reach the engine's thread in either order, and a busy
 * thread reads the OS's events late.
 */
export const GRACE_MS = 2000;
/** Expired expectations are swept once this many were added since the last sweep. */
const SWEEP_EVERY = 1024;

export class OwnRenames {
  /** Wire path -> until when its next rename event is ours (Infinity while the write runs). */
  private readonly until = new Map<string, number>();
  private added = 0;

  /**
   * Expect a rename onto `wire`. The returned function says how the write ended; when it did
   * not land, the expectation goes and `notLanded` runs (the event skipped meanwhile, if
   * any, was someone else's).
   */
  expect(wire: string, notLanded: () => void): (landed: boolean) => void {
    if (++this.added >= SWEEP_EVERY) this.sweep();
    this.until.set(wire, Infinity);
    let settled = false;
    return (landed) => {
      if (settled) return;
      settled = true;
      if (!landed) {
        this.until.delete(wire);
        notLanded();
      } else if (this.until.get(wire) === Infinity) {
        this.until.set(wire, Date.now() + GRACE_MS);
      }
    };
  }

  /** Is this rename event at `wire` the one expected? Then the expectation is used up. */
  consume(wire: string): boolean {
    const until = this.until.get(wire);
    if (until === undefined) return false;
    this.until.delete(wire);
    return until >= Date.now();
  }

  clear(): void {
    this.until.clear();
  }

  private sweep(): void {
    this.added = 0;
    const now = Date.now();
    for (const [wire, until] of this.until) if (until < now) this.until.delete(wire);
  }
}
