import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { Link, useLocation, useSearch } from 'wouter';
import { get, query } from '../api.ts';
import { type Column, DataTable } from '../components/data-table.tsx';
import { EmptyState } from '../components/empty-state.tsx';
import { FilterSelect } from '../components/filter-select.tsx';
import { QueryList } from '../components/query-list.tsx';
import { VehicleLink } from '../components/vehicle-link.tsx';
import { reasonIn } from '../errors.ts';
import { useRunEvents } from '../events.ts';
import { useFormats, usePreferences, useT } from '../locale.tsx';
import { useCursorPages } from '../paging.ts';
import { useSession } from '../session.tsx';
import { type Change, changeKinds, finished, plateText, type Run as RunData } from '../types.ts';
import { Badge, Card, ErrorMessage, Loading } from '../ui.tsx';
import { DocumentButtons, runStatementDocuments } from './documents.tsx';
import { ChangeCounts, RunProgress, RunStatus } from './run-parts.tsx';

export default function Run({ id }: { id: string }) {
  const t = useT();
  const { language } = usePreferences();
  const client = useQueryClient();
  const { account, membership, may } = useSession();
  const f = useFormats(account);
  const initial = useQuery({ queryKey: ['run', id], queryFn: () => get<RunData>(`/runs/${id}`) });
  const run = useRunEvents(id, membership?.id, initial.data);
  const done = run ? finished(run) : false;
  useEffect(() => {
    if (done) {
      client.invalidateQueries({ queryKey: ['dashboard'] });
      client.invalidateQueries({ queryKey: ['runs'] });
    }
  }, [done, client]);
  if (initial.isPending) return <Loading />;
  if (initial.isError || !run) return <ErrorMessage error={initial.error} />;
  return (
    <div className="page">
      <p>
        <Link href="/runs">{t('runs.back')}</Link>
      </p>
      <h1>
        {t('runs.run_number', { id: run.id })} <RunStatus run={run} />
      </h1>
      <p className="muted">
        {t(`run_kind.${run.kind}`)} · {t('runs.started')} {f.dateTime(run.createdAt)}
        {run.finishedAt ? ` · ${t('runs.finished')} ${f.dateTime(run.finishedAt)}` : ''}
        {run.import ? ` · ${run.import.fileName}` : ''}
      </p>
      <Card title={t('runs.progress')}>
        <RunProgress run={run} />
        {run.error ? <p className="error">{reasonIn(language, run.error, run.errorAr)}</p> : null}
      </Card>
      {run.summary ? (
        <Card title={t('runs.summary')}>
          <p
            data-testid="run-outstanding"
            data-minor={run.summary.outstanding.amountMinor}
            data-count={run.summary.outstanding.violations}
          >
            {t('runs.outstanding_after', {
              amount: f.money(run.summary.outstanding.amountMinor),
              count: run.summary.outstanding.violations,
            })}
          </p>
          {run.summary.changes.length > 0 ? (
            <ChangeCounts runId={run.id} changes={run.summary.changes} />
          ) : null}
          {run.summary.failedVehicles.length > 0 ? (
            <details>
              <summary>{t('runs.failed_vehicles', { count: run.summary.failedVehicles.length })}</summary>
              <ul>
                {run.summary.failedVehicles.map((v) => (
                  <li key={v.vehicleId}>
                    <Link href={`/vehicles/${v.vehicleId}`} dir="ltr">
                      {v.plateKey}
                    </Link>{' '}
                    — <bdi>{reasonIn(language, v.reason, v.reasonAr)}</bdi>
                  </li>
                ))}
              </ul>
            </details>
          ) : null}
        </Card>
      ) : null}
      {done && run.status !== 'failed' && may('money.read') ? (
        <Card title={t('documents.run_statement')}>
          <p className="hint">{t('documents.run_statement_hint')}</p>
          <DocumentButtons label={t('documents.download')} documents={runStatementDocuments(t, run.id)} />
        </Card>
      ) : null}
      {done ? <Changes runId={run.id} /> : null}
    </div>
  );
}

function Changes({ runId }: { runId: string }) {
  const t = useT();
  const { account } = useSession();
  const f = useFormats(account);
  const search = new URLSearchParams(useSearch());
  const initialChange = search.get('change') ?? '';
  const pages = useCursorPages();
  const change = initialChange;
  const changes = useQuery({
    queryKey: ['changes', runId, change, pages.after],
    queryFn: () =>
      get<{ changes: Change[]; nextCursor: string | null }>(
        `/runs/${runId}/changes${query({ change, after: pages.after, limit: 50 })}`,
      ),
    placeholderData: (previous) => previous,
  });
  const [location, navigate] = useLocation();
  const setChange = (value: string) => {
    pages.reset();
    navigate(value ? `${location}?change=${value}` : location, { replace: true });
  };
  const columns: Column<Change>[] = [
    {
      key: 'ticket',
      header: t('violations.ticket'),
      className: 'mono',
      cell: (c) => <span dir="ltr">{c.ticketNumber}</span>,
    },
    {
      key: 'change',
      header: t('runs.change'),
      cell: (c) => (
        <>
          {t(`change.${c.change}`)}
          {c.held ? <Badge kind="warn">{t('runs.held_one')}</Badge> : null}
          {c.preAcquisition ? <Badge kind="muted">{t('violations.pre_acquisition')}</Badge> : null}
        </>
      ),
    },
    {
      key: 'vehicle',
      header: t('violations.vehicle'),
      cell: (c) => <VehicleLink id={c.vehicleId} plate={c.plateKey ? plateText(c.plateKey) : c.vehicleId} />,
    },
    {
      key: 'before',
      header: t('runs.before'),
      numeric: true,
      cell: (c) => (c.previousAmountMinor ? f.money(c.previousAmountMinor) : '—'),
    },
    {
      key: 'amount',
      header: t('runs.amount'),
      numeric: true,
      minor: (c) => c.amountMinor,
      cell: (c) => f.money(c.amountMinor),
    },
  ];
  return (
    <Card title={t('runs.changes')}>
      <div className="filters">
        <FilterSelect
          label={t('runs.change_filter')}
          name="change"
          value={change}
          all={t('runs.all_changes')}
          options={changeKinds.map((k) => ({ value: k, label: t(`change.${k}`) }))}
          onChange={setChange}
        />
      </div>
      <QueryList
        query={changes}
        rows={(d) => d.changes}
        nextCursor={(d) => d.nextCursor}
        pages={pages}
        empty={<EmptyState title={t('runs.no_changes')} />}
      >
        {(rows) => (
          <DataTable rows={rows} columns={columns} rowKey={(c) => c.ticketNumber} testId="changes" />
        )}
      </QueryList>
    </Card>
  );
}
