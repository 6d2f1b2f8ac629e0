import { useQuery } from '@tanstack/react-query';
import { Link } from 'wouter';
import { get } from '../api.ts';
import { EmptyState } from '../components/empty-state.tsx';
import { useFormats, usePreferences, useT } from '../locale.tsx';
import { useSession } from '../session.tsx';
import type { Vehicle as VehicleData, Violation } from '../types.ts';
import { Card, ErrorMessage, Loading } from '../ui.tsx';
import { VehicleMoney } from './vehicle-money.tsx';

interface Version {
  version: number;
  runId: string;
  state: string;
  amountMinor: string;
  authorityStatus: string;
  change: string;
  recordedAt: string;
}

export default function Vehicle({ id }: { id: string }) {
  const t = useT();
  const { account } = useSession();
  const f = useFormats(account);
  const { language } = usePreferences();
  const vehicle = useQuery({ queryKey: ['vehicle', id], queryFn: () => get<VehicleData>(`/vehicles/${id}`) });
  const violations = useQuery({
    queryKey: ['vehicle-violations', id],
    queryFn: () =>
      get<{ violations: Array<Violation & { history: Version[] }> }>(`/vehicles/${id}/violations`),
  });
  if (vehicle.isPending) return <Loading />;
  if (vehicle.isError) return <ErrorMessage error={vehicle.error} />;
  const v = vehicle.data;
  const outstanding = (violations.data?.violations ?? []).filter((x) => x.state === 'outstanding');
  const total = outstanding.reduce((sum, x) => sum + BigInt(x.amountMinor), 0n);
  return (
    <div className="page">
      <p>
        <Link href="/fleet">{t('vehicle.back')}</Link>
      </p>
      <h1>
        <span dir="ltr">{v.plateDisplay}</span> {v.label ? <span className="muted">· {v.label}</span> : null}
      </h1>
      <Card>
        <dl className="facts">
          <div>
            <dt>{t('fleet.driver')}</dt>
            <dd>{v.driver ?? '—'}</dd>
          </div>
          <div>
            <dt>{t('fleet.cost_centre')}</dt>
            <dd>{v.costCentre ?? '—'}</dd>
          </div>
          <div>
            <dt>{t('vehicle.vin')}</dt>
            <dd dir="ltr">{v.vin ?? '—'}</dd>
          </div>
          <div>
            <dt>{t('vehicle.active_from')}</dt>
            <dd>{f.date(v.activeFrom)}</dd>
          </div>
          {v.activeUntil ? (
            <div>
              <dt>{t('vehicle.active_until')}</dt>
              <dd>{f.date(v.activeUntil)}</dd>
            </div>
          ) : null}
          <div>
            <dt>{t('dashboard.outstanding')}</dt>
            <dd>
              {f.money(total)} · {t('common.violations', { count: outstanding.length })}
            </dd>
          </div>
        </dl>
      </Card>
      <VehicleMoney vehicleId={v.id} />
      <Card title={t('vehicle.violations')}>
        {violations.isPending ? (
          <Loading />
        ) : violations.isError ? (
          <ErrorMessage error={violations.error} />
        ) : violations.data.violations.length === 0 ? (
          <EmptyState title={t('vehicle.no_violations')} />
        ) : (
          <ul className="violation-list">
            {violations.data.violations.map((x) => (
              <li key={x.ticketNumber}>
                <div className="violation-head">
                  <span dir="ltr" className="mono">
                    {x.ticketNumber}
                  </span>
                  <span>{language === 'ar' ? x.descriptionAr : x.descriptionEn}</span>
                  <span>{f.dateTime(x.offenceAt)}</span>
                  <strong>{f.money(x.amountMinor)}</strong>
                  <span>{t(`state.${x.state}`)}</span>
                </div>
                {x.history?.length ? (
                  <ol className="history" aria-label={t('vehicle.history')}>
                    {x.history.map((h) => (
                      <li key={h.version}>
                        {f.dateTime(h.recordedAt)} — {t(`change.${h.change}`)} · {f.money(h.amountMinor)} ·{' '}
                        <Link href={`/runs/${h.runId}`}>{t('runs.run_number', { id: h.runId })}</Link>
                      </li>
                    ))}
                  </ol>
                ) : null}
              </li>
            ))}
          </ul>
        )}
      </Card>
    </div>
  );
}
