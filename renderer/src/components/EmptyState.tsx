import type { ReactNode } from 'react';

/** The friendly "nothing here yet" panel, with what to do about it. */
export function EmptyState({ title, children, testid }: { title: string; children?: ReactNode; testid?: string }) {
  return (
    <div className="empty" data-testid={testid}>
      <h3>{title}</h3>
      {children}
    </div>
  );
}
