import { useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent } from 'react';
import { indexAfterKey } from '../lib/tabs.js';

/**
 * A context menu (role=menu): opens at a point, focuses its first item, Up/Down/Home/End
 * move, Enter/Space choose, Escape or Tab or a click elsewhere close it, and focus goes back
 * to `returnFocus` (the folder row) before the chosen action runs, so a dialog the action
 * opens hands focus back to the row when it closes.
 */

export interface MenuItem {
  id: string;
  label: string;
  testid: string;
  onSelect(): void;
  danger?: boolean;
  disabled?: boolean;
}

interface MenuProps {
  items: MenuItem[];
  x: number;
  y: number;
  label: string;
  onClose(): void;
  returnFocus: HTMLElement | null;
}

export function Menu({ items, x, y, label, onClose, returnFocus }: MenuProps) {
  const ref = useRef<HTMLDivElement>(null);
  const [pos, setPos] = useState({ left: x, top: y });
  const itemRefs = useRef<(HTMLButtonElement | null)[]>([]);

  // Keep the menu inside the window (a right-click near the bottom-right corner).
  useLayoutEffect(() => {
    const el = ref.current!;
    const r = el.getBoundingClientRect();
    setPos({
      left: Math.max(4, Math.min(x, window.innerWidth - r.width - 4)),
      top: Math.max(4, Math.min(y, window.innerHeight - r.height - 4)),
    });
  }, [x, y]);

  useEffect(() => {
    itemRefs.current.find((b) => b && !b.disabled)?.focus();
    const onDown = (e: MouseEvent) => {
      if (!ref.current?.contains(e.target as Node)) close();
    };
    const onBlur = () => close();
    document.addEventListener('mousedown', onDown, true);
    window.addEventListener('blur', onBlur);
    window.addEventListener('resize', onBlur);
    return () => {
      document.removeEventListener('mousedown', onDown, true);
      window.removeEventListener('blur', onBlur);
      window.removeEventListener('resize', onBlur);
    };
    // Runs once per open menu: the handlers read the latest props through close().
  }, []);

  function close(): void {
    onClose();
    if (returnFocus?.isConnected) returnFocus.focus();
  }

  const onKeyDown = (e: KeyboardEvent) => {
    const current = itemRefs.current.findIndex((b) => b === document.activeElement);
    const next = indexAfterKey(current < 0 ? 0 : current, e.key, items.length, 'vertical');
    if (next !== null) {
      e.preventDefault();
      itemRefs.current[next]?.focus();
    } else if (e.key === 'Escape' || e.key === 'Tab') {
      e.preventDefault();
      e.stopPropagation();
      close();
    }
  };

  return (
    <div ref={ref} className="menu" role="menu" aria-label={label} style={{ left: pos.left, top: pos.top }} onKeyDown={onKeyDown} data-testid="context-menu">
      {items.map((item, i) => (
        <button
          key={item.id}
          ref={(el) => {
            itemRefs.current[i] = el;
          }}
          type="button"
          role="menuitem"
          tabIndex={-1}
          className={item.danger ? 'menu-item danger' : 'menu-item'}
          disabled={item.disabled}
          data-testid={item.testid}
          onClick={() => {
            close();
            item.onSelect();
          }}
        >
          {item.label}
        </button>
      ))}
    </div>
  );
}
