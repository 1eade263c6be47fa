/**
 * List virtualization math (History and Transfers can hold thousands of rows): with a
 * fixed row height, only the rows inside the viewport (plus a few above and below, so fast
 * scrolling does not flash blank) are rendered, placed at `offsetTop` inside a spacer of
 * `totalHeight`.
 */
export interface WindowInput {
  scrollTop: number;
  viewportHeight: number;
  rowHeight: number;
  count: number;
  /** Extra rows rendered on each side of the visible ones. */
  overscan?: number;
}

export interface VisibleWindow {
  /** First rendered row (inclusive). */
  start: number;
  /** Last rendered row + 1 (exclusive). */
  end: number;
  /** Pixel offset of row `start` from the top of the list. */
  offsetTop: number;
  totalHeight: number;
}

export function visibleWindow({ scrollTop, viewportHeight, rowHeight, count, overscan = 5 }: WindowInput): VisibleWindow {
  const n = Math.max(0, Math.floor(count));
  const h = rowHeight > 0 ? rowHeight : 1;
  const totalHeight = n * h;
  if (n === 0) return { start: 0, end: 0, offsetTop: 0, totalHeight: 0 };
  // A list that shrank under a scrolled viewport: clamp so we still show its last rows.
  const maxScroll = Math.max(0, totalHeight - Math.max(0, viewportHeight));
  const top = Math.min(Math.max(0, scrollTop), maxScroll);
  const firstVisible = Math.floor(top / h);
  const lastVisible = Math.ceil((top + Math.max(0, viewportHeight)) / h); // exclusive
  const start = Math.max(0, firstVisible - overscan);
  const end = Math.min(n, Math.max(lastVisible, firstVisible + 1) + overscan);
  return { start, end, offsetTop: start * h, totalHeight };
}

/** The scrollTop that brings row `index` fully into view (for keyboard navigation), or null if it already is. */
export function scrollToReveal(index: number, scrollTop: number, viewportHeight: number, rowHeight: number): number | null {
  const rowTop = index * rowHeight;
  const rowBottom = rowTop + rowHeight;
  if (rowTop < scrollTop) return rowTop;
  if (rowBottom > scrollTop + viewportHeight) return Math.max(0, rowBottom - viewportHeight);
  return null;
}
