import { useQuery } from '@tanstack/react-query';
import { Link, useLocation, useSearch } from 'wouter';
import { get, query } from '../api.ts';
import { useFormats, usePreferences, useT } from '../locale.tsx';
import { useCursorPages } from '../paging.ts';
import { useSession } from '../session.tsx';
import type { Violation } from '../types.ts';
import { Badge, Card, Empty, ErrorMessage, Loading, Pager } from '../ui.tsx';

const states = ['outstanding', 'settled', 'cancelled'] as const;

export default function Violations() {
  const t = useT();
  const { account } = useSession();
  const f = useFormats(account);
  const { language } = usePreferences();
  const search = new URLSearchParams(useSearch());
  const [location, navigate] = useLocation();
  const state = search.get('state') ?? '';
  const vehicleId = search.get('vehicleId') ?? '';
  const pages = useCursorPages();
  const violations = useQuery({
    queryKey: ['violations', state, vehicleId, pages.after],
    queryFn: () =>
      get<{ violations: Violation[]; next: string | null }>(
        `/violations${query({ state, vehicleId, after: pages.after, limit: 50 })}`,
      ),
    placeholderData: (previous) => previous,
  });
  const setFilter = (name: string, value: string) => {
    const next = new URLSearchParams(search);
    if (value) next.set(name, value);
    else next.delete(name);
    pages.reset();
    const qs = next.toString();
    navigate(qs ? `${location}?${qs}` : location, { replace: true });
  };
  return (
    <div className="page">
      <h1>{t('violations.title')}</h1>
      <Card>
        <div className="filters">
          <label>
            {t('violations.state')}
            <select value={state} onChange={(e) => setFilter('state', e.target.value)}>
              <option value="">{t('violations.all_states')}</option>
              {states.map((s) => (
                <option key={s} value={s}>
                  {t(`state.${s}`)}
                </option>
              ))}
            </select>
          </label>
          {vehicleId ? (
            <button type="button" onClick={() => setFilter('vehicleId', '')}>
              {t('violations.clear_vehicle', { id: vehicleId })}
            </button>
          ) : null}
        </div>
        {violations.isPending ? (
          <Loading />
        ) : violations.isError ? (
          <ErrorMessage error={violations.error} />
        ) : violations.data.violations.length === 0 ? (
          <Empty title={t('violations.none')}>
            <p>{t('violations.none_next')}</p>
          </Empty>
        ) : (
          <>
            <div className="table-scroll">
              <ViolationTable violations={violations.data.violations} f={f} language={language} />
            </div>
            <Pager
              page={pages.page}
              hasNext={Boolean(violations.data.next)}
              onPrevious={pages.previous}
              onNext={() => pages.next(violations.data?.next)}
            />
          </>
        )}
      </Card>
    </div>
  );
}

export function ViolationTable({
  violations,
  f,
  language,
  showVehicle = true,
}: {
  violations: Violation[];
  f: ReturnType<typeof useFormats>;
  language: 'ar' | 'en';
  showVehicle?: boolean;
}) {
  const t = useT();
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">{t('violations.ticket')}</th>
          <th scope="col">{t('violations.offence')}</th>
          {showVehicle ? <th scope="col">{t('violations.vehicle')}</th> : null}
          <th scope="col">{t('violations.description')}</th>
          <th scope="col">{t('violations.state')}</th>
          <th scope="col" className="num">
            {t('runs.amount')}
          </th>
        </tr>
      </thead>
      <tbody>
        {violations.map((v) => (
          <tr key={v.ticketNumber}>
            <td dir="ltr" className="mono">
              {v.ticketNumber}
            </td>
            <td>{f.dateTime(v.offenceAt)}</td>
            {showVehicle ? (
              <td>
                <Link href={`/vehicles/${v.vehicleId}`}>
                  {t('violations.vehicle_number', { id: v.vehicleId })}
                </Link>
              </td>
            ) : null}
            <td>
              {language === 'ar' ? v.descriptionAr : v.descriptionEn}
              <div className="muted small">{v.location}</div>
            </td>
            <td>
              <Badge kind={v.state === 'outstanding' ? 'warn' : 'muted'}>{t(`state.${v.state}`)}</Badge>
              {v.suspectSettlement ? <Badge kind="bad">{t('violations.suspect')}</Badge> : null}
            </td>
            <td className="num">{f.money(v.amountMinor)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
