import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { Link, useLocation, useSearch } from 'wouter';
import { get, query } from '../api.ts';
import { useRunEvents } from '../events.ts';
import { useFormats, useT } from '../locale.tsx';
import { useCursorPages } from '../paging.ts';
import { useSession } from '../session.tsx';
import { type Change, changeKinds, finished, plateText, type Run as RunData } from '../types.ts';
import { Badge, Card, Empty, ErrorMessage, Loading, Pager, TableScroll } from '../ui.tsx';
import { DocumentButtons, runStatementDocuments } from './documents.tsx';
import { RunProgress, RunStatus } from './run-parts.tsx';

export default function Run({ id }: { id: string }) {
  const t = useT();
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
        {run.error ? <p className="error">{run.error}</p> : null}
      </Card>
      {run.summary ? (
        <Card title={t('runs.summary')}>
          <p>
            {t('runs.outstanding_after', {
              amount: f.money(run.summary.outstanding.amountMinor),
              count: run.summary.outstanding.violations,
            })}
          </p>
          {run.summary.changes.length > 0 ? (
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('runs.change')}</th>
                  <th scope="col" className="num">
                    {t('runs.violations')}
                  </th>
                  <th scope="col" className="num">
                    {t('runs.amount')}
                  </th>
                </tr>
              </thead>
              <tbody>
                {run.summary.changes.map((c) => (
                  <tr key={c.change}>
                    <td>
                      {t(`change.${c.change}`)}
                      {c.held > 0 ? <Badge kind="warn">{t('runs.held', { count: c.held })}</Badge> : null}
                    </td>
                    <td className="num">{f.number(c.violations)}</td>
                    <td className="num">{f.money(c.amountMinor)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
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
                    — <span dir="ltr">{v.reason}</span>
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
  return (
    <Card title={t('runs.changes')}>
      <div className="filters">
        <label>
          {t('runs.change_filter')}
          <select value={change} onChange={(e) => setChange(e.target.value)} name="change">
            <option value="">{t('runs.all_changes')}</option>
            {changeKinds.map((k) => (
              <option key={k} value={k}>
                {t(`change.${k}`)}
              </option>
            ))}
          </select>
        </label>
      </div>
      {changes.isPending ? (
        <Loading />
      ) : changes.isError ? (
        <ErrorMessage error={changes.error} />
      ) : changes.data.changes.length === 0 ? (
        <Empty title={t('runs.no_changes')} />
      ) : (
        <>
          <TableScroll>
            <table data-testid="changes">
              <thead>
                <tr>
                  <th scope="col">{t('violations.ticket')}</th>
                  <th scope="col">{t('runs.change')}</th>
                  <th scope="col">{t('violations.vehicle')}</th>
                  <th scope="col" className="num">
                    {t('runs.before')}
                  </th>
                  <th scope="col" className="num">
                    {t('runs.amount')}
                  </th>
                </tr>
              </thead>
              <tbody>
                {changes.data.changes.map((c) => (
                  <tr key={c.ticketNumber}>
                    <td dir="ltr" className="mono">
                      {c.ticketNumber}
                    </td>
                    <td>
                      {t(`change.${c.change}`)}
                      {c.held ? <Badge kind="warn">{t('runs.held_one')}</Badge> : null}
                      {c.preAcquisition ? (
                        <Badge kind="muted">{t('violations.pre_acquisition')}</Badge>
                      ) : null}
                    </td>
                    <td>
                      <Link href={`/vehicles/${c.vehicleId}`} dir="ltr">
                        {c.plateKey ? plateText(c.plateKey) : c.vehicleId}
                      </Link>
                    </td>
                    <td className="num">{c.previousAmountMinor ? f.money(c.previousAmountMinor) : '—'}</td>
                    <td className="num">{f.money(c.amountMinor)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
          <Pager
            page={pages.page}
            hasNext={Boolean(changes.data.nextCursor)}
            onPrevious={pages.previous}
            onNext={() => pages.next(changes.data?.nextCursor)}
          />
        </>
      )}
    </Card>
  );
}
