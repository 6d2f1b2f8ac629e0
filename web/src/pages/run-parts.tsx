import type { ReactNode } from 'react';
import { Link } from 'wouter';
import { type Column, DataTable } from '../components/data-table.tsx';
import { useFormats, useT } from '../locale.tsx';
import { useSession } from '../session.tsx';
import { finished, type Run, type RunSummary } from '../types.ts';
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

type ChangeCount = RunSummary['changes'][number];

/** A run's changes counted by kind with their amounts, each kind linking to its changes. */
export function ChangeCounts({
  runId,
  changes,
  footer,
}: {
  runId: string;
  changes: readonly ChangeCount[];
  footer?: ReactNode;
}) {
  const t = useT();
  const { account } = useSession();
  const f = useFormats(account);
  const columns: Column<ChangeCount>[] = [
    {
      key: 'change',
      header: t('runs.change'),
      cell: (c) => (
        <>
          <Link href={`/runs/${runId}?change=${c.change}`}>{t(`change.${c.change}`)}</Link>
          {c.held > 0 ? <Badge kind="warn">{t('runs.held', { count: c.held })}</Badge> : null}
        </>
      ),
    },
    { key: 'violations', header: t('runs.violations'), numeric: true, cell: (c) => f.number(c.violations) },
    {
      key: 'amount',
      header: t('runs.amount'),
      numeric: true,
      minor: (c) => c.amountMinor,
      cell: (c) => f.money(c.amountMinor),
    },
  ];
  return <DataTable rows={changes} columns={columns} rowKey={(c) => c.change} footer={footer} />;
}
