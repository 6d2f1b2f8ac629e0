import { useState } from 'react';

export type CursorPages = ReturnType<typeof useCursorPages>;

/** Cursor paging: `after` of the current page, and moves that keep the cursors seen so far. */
export function useCursorPages() {
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined]);
  const page = cursors.length - 1;
  return {
    page,
    after: cursors[page],
    next: (cursor: string | null | undefined) => {
      if (cursor) setCursors((c) => [...c, cursor]);
    },
    previous: () => setCursors((c) => (c.length > 1 ? c.slice(0, -1) : c)),
    reset: () => setCursors([undefined]),
  };
}
