import { useT } from '../locale.tsx';
import { finished, type Run } from '../types.ts';
import { Badge } from '../ui.tsx';

export function RunStatus({ run }: { run: Run }) {
  const t = useT();
  const kind =
    run.status === 'done'
      ? 'ok'
      : run.status === 'failed'
        ? 'bad'
        : run.status === 'partial'
          ? 'warn'
          : 'info';
  return <Badge kind={kind}>{t(`run_status.${run.status}`)}</Badge>;
}

/** Lookups done of total, then the reconciliation: one bar for the whole run. */
export function RunProgress({ run }: { run: Run }) {
  const t = useT();
  const { done, total } = run.progress.fetching;
  const lookupsShare = total > 0 ? done / total : 0;
  const value = finished(run) ? 100 : Math.floor(lookupsShare * 90 + run.progress.reconciling.done * 10);
  return (
    <div className="progress">
      <progress max={100} value={value} aria-label={t('runs.progress')} />
      <span aria-live="polite">
        {t(`run_status.${run.status}`)} · {t('runs.lookups_done', { done, total })}
      </span>
    </div>
  );
}
