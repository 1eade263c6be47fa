import { readFileSync } from 'node:fs';

/**
 * Telling when the operating system may have dropped file-change events, so that the
 * folders watched are rescanned (watcher.ts: eventsMayBeLost).
 *
 * libuv reads the change events of every watcher in the process from one inotify queue,
 * which holds at most fs.inotify.max_queued_events (16,384 by default) and drops events once
 * full, without anything reaching Node. What can be seen: libuv reads that queue until it
 * is empty, in one go, and hands every event to JavaScript before the event loop moves on.
 * So the events delivered in one turn of the event loop are at least as many as the queue
 * held; a turn with half a queue's worth means it may have been close to full (this thread
 * was busy while thousands of files were copied or unpacked), and every watcher is told.
 *
 * The rate of events alone says nothing: a device receiving 10,000 files makes ~50,000 events
 * in a few seconds itself, and while this thread reads them as they come, none are lost (a
 * per-second count made each such download end with a needless rescan of the whole folder).
 */
export interface OverflowListener {
  /** Events delivered in the turn that just ended, across every watcher. */
  afterTurn(events: number): void;
}

const listeners = new Set<OverflowListener>();
const turn = { events: 0, ending: false };

/** One raw event was delivered (every one counts, ignored or not: it held a place in the queue). */
export function countRawEvent(): void {
  turn.events++;
  if (turn.ending) return;
  turn.ending = true;
  // The check phase comes right after the poll phase that delivered the events.
  setImmediate(endTurn);
}

function endTurn(): void {
  const events = turn.events;
  turn.events = 0;
  turn.ending = false;
  for (const l of listeners) l.afterTurn(events);
}

export function listenForOverflow(l: OverflowListener): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

/** Events in one turn from which some may have been dropped: half the kernel's queue. */
export function defaultOverflowEvents(): number {
  try {
    const queue = Number(readFileSync('/proc/sys/fs/inotify/max_queued_events', 'utf8'));
    if (Number.isFinite(queue) && queue > 0) return Math.max(256, Math.floor(queue / 2));
  } catch {
    // not Linux, or /proc is not there: the kernel default
  }
  return 8192;
}
