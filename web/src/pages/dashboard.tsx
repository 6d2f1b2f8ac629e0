import { useQuery } from '@tanstack/react-query';
import { lazy, Suspense, useMemo } from 'react';
import { Link } from 'wouter';
import { get } from '../api.ts';
import { EmptyState } from '../components/empty-state.tsx';
import { useFormats, useT } from '../locale.tsx';
import { useSession } from '../session.tsx';
import { type Dashboard as DashboardData, finished, plateText } from '../types.ts';
import { Card, ErrorMessage, Loading, TableScroll } from '../ui.tsx';
import { ChangeCounts, RunProgress, RunStatus } from './run-parts.tsx';

const OutstandingChart = lazy(() => import('./chart.tsx'));

const shownChanges = ['new', 'escalated', 'settled', 'reduced', 'cancelled', 'reappeared', 'moved', 'stale'];

export default function Dashboard() {
  const t = useT();
  const { account, may } = useSession();
  const f = useFormats(account);
  const dashboard = useQuery({
    queryKey: ['dashboard'],
    queryFn: () => get<DashboardData>('/dashboard'),
    refetchInterval: (q) => (q.state.data?.activeRun ? 2000 : false),
  });
  const chart = useMemo(() => {
    const history = dashboard.data?.history ?? [];
    return {
      // The canvas lays text out left to right: Arabic dates lose their direction marks there.
      labels: history.map((h) =>
        f
          .date(h.localNight ? `${h.localNight}T12:00:00Z` : h.finishedAt)
          .replace(/[\u200e\u200f\u061c]/g, ''),
      ),
      // Exact integers of minor units (far below 2^53); ticks are formatted back through BigInt.
      values: history.map((h) => Number(h.amountMinor)),
      format: (v: number) => f.money(BigInt(Math.round(v)), false),
    };
  }, [dashboard.data, f]);
  if (dashboard.isPending) return <Loading />;
  if (dashboard.isError) return <ErrorMessage error={dashboard.error} />;
  const d = dashboard.data;
  const last = d.lastRun;
  const held = last?.summary?.changes.reduce((sum, c) => sum + c.held, 0) ?? 0;
  const lastChanges = (last?.summary?.changes ?? [])
    .filter((c) => shownChanges.includes(c.change))
    .sort((a, b) => shownChanges.indexOf(a.change) - shownChanges.indexOf(b.change));
  return (
    <div className="page">
      <h1>{t('dashboard.title')}</h1>
      <div className="grid stats">
        <Card title={t('dashboard.outstanding')}>
          <p className="big" data-testid="outstanding-amount">
            {f.money(d.outstanding.amountMinor)}
          </p>
          <p className="muted">{t('common.violations', { count: d.outstanding.violations })}</p>
          {d.outsideFleet.violations > 0 && (
            <p className="muted" data-testid="outside-fleet">
              {t('dashboard.outside_fleet', {
                amount: f.money(d.outsideFleet.amountMinor),
                count: d.outsideFleet.violations,
              })}
            </p>
          )}
          <Link href="/violations?state=outstanding">{t('dashboard.see_violations')}</Link>
        </Card>
        <Card title={t('dashboard.last_run')}>
          {last ? (
            <>
              <p>
                <RunStatus run={last} />{' '}
                <Link href={`/runs/${last.id}`}>{f.dateTime(last.finishedAt ?? last.createdAt)}</Link>
              </p>
              {last.summary?.failedVehicles.length ? (
                <p className="warn">
                  {t('dashboard.failed_vehicles', { count: last.summary.failedVehicles.length })}
                </p>
              ) : null}
            </>
          ) : (
            <p>{t('dashboard.no_runs')}</p>
          )}
          {d.activeRun && !finished(d.activeRun) ? (
            <div>
              <p>{t('dashboard.run_in_progress')}</p>
              <RunProgress run={d.activeRun} />
            </div>
          ) : null}
          <p className="muted">{t('dashboard.next_run', { when: f.dateTime(d.nextScheduledRun) })}</p>
        </Card>
        <Card title={t('dashboard.exceptions')}>
          <p className="big">{f.number(d.openExceptions)}</p>
          {d.openExceptions > 0 && may('money.read') ? (
            <Link href="/exceptions">{t('dashboard.see_exceptions')}</Link>
          ) : (
            <p className="muted">{t('dashboard.no_exceptions')}</p>
          )}
        </Card>
      </div>

      <Card title={t('dashboard.last_changes')}>
        {lastChanges.length > 0 ? (
          <ChangeCounts
            runId={last!.id}
            changes={lastChanges}
            footer={
              held > 0 ? (
                <tr>
                  <td>{t('dashboard.held')}</td>
                  <td className="num">{f.number(held)}</td>
                  <td />
                </tr>
              ) : null
            }
          />
        ) : (
          <EmptyState title={last ? t('dashboard.nothing_changed') : t('dashboard.no_changes')}>
            {!last && may('fleet.write') ? <Link href="/fleet">{t('dashboard.upload_first')}</Link> : null}
          </EmptyState>
        )}
      </Card>

      <Card title={t('dashboard.deadlines')}>
        {d.deadlines.length > 0 ? (
          <TableScroll>
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('dashboard.escalates')}</th>
                  <th scope="col">{t('violations.plate')}</th>
                  <th scope="col">{t('violations.ticket')}</th>
                  <th scope="col" className="num">
                    {t('dashboard.at_stake')}
                  </th>
                  <th scope="col" className="num">
                    {t('dashboard.saves')}
                  </th>
                </tr>
              </thead>
              <tbody>
                {d.deadlines.map((x) => (
                  <tr key={x.ticketNumber}>
                    <td>{f.date(x.escalatesAt)}</td>
                    <td>
                      <Link href={`/vehicles/${x.vehicleId}`} dir="ltr">
                        {plateText(x.plateKey)}
                      </Link>
                    </td>
                    <td dir="ltr" className="mono">
                      {x.ticketNumber}
                    </td>
                    <td className="num">{f.money(x.amountMinor)}</td>
                    <td className="num">{f.money(x.savesMinor)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
        ) : (
          <EmptyState title={t('dashboard.no_deadlines')} />
        )}
      </Card>

      <Card title={t('dashboard.chart')}>
        {d.history.length > 0 ? (
          <>
            <Suspense fallback={<Loading />}>
              <OutstandingChart
                labels={chart.labels}
                values={chart.values}
                formatValue={chart.format}
                title={t('dashboard.chart')}
              />
            </Suspense>
            <details>
              <summary>{t('dashboard.chart_table')}</summary>
              <table>
                <tbody>
                  {d.history.map((h) => (
                    <tr key={h.runId}>
                      <td>{f.dateTime(h.finishedAt)}</td>
                      <td className="num">{f.money(h.amountMinor)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </details>
          </>
        ) : (
          <EmptyState title={t('dashboard.no_history')} />
        )}
      </Card>
    </div>
  );
}
