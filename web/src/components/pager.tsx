import { useT } from '../locale.tsx';

/** Server-side paging by cursor: the pages seen so far are a stack of cursors (see paging.ts). */
export function Pager({
  page,
  hasNext,
  onPrevious,
  onNext,
}: {
  page: number;
  hasNext: boolean;
  onPrevious(): void;
  onNext(): void;
}) {
  const t = useT();
  if (page === 0 && !hasNext) return null;
  return (
    <nav className="pager" aria-label={t('common_ui.pages')}>
      <button type="button" onClick={onPrevious} disabled={page === 0}>
        {t('common_ui.previous')}
      </button>
      <span>{t('common_ui.page', { page: page + 1 })}</span>
      <button type="button" onClick={onNext} disabled={!hasNext}>
        {t('common_ui.next')}
      </button>
    </nav>
  );
}
