import type { UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import type { CursorPages } from '../paging.ts';
import { ErrorMessage, Loading } from '../ui.tsx';
import { Pager } from './pager.tsx';

/**
 * One page of a server-paged list in its states: loading, the error in words, the empty state
 * (what to do next), or the rows with the pager under them.
 */
export function QueryList<Data, Row>({
  query,
  rows,
  nextCursor,
  pages,
  empty,
  children,
}: {
  query: UseQueryResult<Data>;
  rows(data: Data): readonly Row[];
  /** The cursor of the page after this one; without it the list is not paged. */
  nextCursor?(data: Data): string | null | undefined;
  pages?: CursorPages;
  empty: ReactNode;
  children(rows: readonly Row[], data: Data): ReactNode;
}) {
  if (query.isPending) return <Loading />;
  if (query.isError) return <ErrorMessage error={query.error} />;
  const data = query.data;
  const list = rows(data);
  if (list.length === 0 && (!pages || pages.page === 0)) return <>{empty}</>;
  const next = nextCursor?.(data);
  return (
    <>
      {children(list, data)}
      {pages ? (
        <Pager
          page={pages.page}
          hasNext={Boolean(next)}
          onPrevious={pages.previous}
          onNext={() => pages.next(next)}
        />
      ) : null}
    </>
  );
}
