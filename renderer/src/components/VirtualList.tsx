import { useEffect, useRef, useState, type ReactNode } from 'react';
import { visibleWindow } from '../lib/virtual-window.js';

/**
 * A list that renders only the rows in view (History and Transfers can hold thousands).
 * Rows have one fixed height; the scroller holds a spacer of the full height and the
 * visible slice is placed at its offset. The scroller is focusable so arrow keys and
 * Page Up/Down scroll it from the keyboard.
 */
interface VirtualListProps {
  count: number;
  rowHeight: number;
  renderRow(index: number): ReactNode;
  label: string;
  testid?: string;
}

export function VirtualList({ count, rowHeight, renderRow, label, testid }: VirtualListProps) {
  const ref = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(600);

  useEffect(() => {
    const el = ref.current!;
    setHeight(el.clientHeight);
    const ro = new ResizeObserver(() => setHeight(el.clientHeight));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const win = visibleWindow({ scrollTop, viewportHeight: height, rowHeight, count, overscan: 8 });
  const rows: ReactNode[] = [];
  for (let i = win.start; i < win.end; i++) {
    rows.push(
      <div key={i} className="vrow" role="listitem" aria-setsize={count} aria-posinset={i + 1} style={{ height: rowHeight }}>
        {renderRow(i)}
      </div>,
    );
  }

  return (
    <div ref={ref} className="vlist" tabIndex={0} role="list" aria-label={label} data-testid={testid} onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}>
      <div style={{ height: win.totalHeight, position: 'relative' }}>
        <div style={{ position: 'absolute', top: win.offsetTop, left: 0, right: 0 }}>{rows}</div>
      </div>
    </div>
  );
}
