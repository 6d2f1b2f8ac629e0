import { useQuery } from '@tanstack/react-query';
import { useLocation, useSearch } from 'wouter';
import { get, query } from '../api.ts';
import { type Column, DataTable } from '../components/data-table.tsx';
import { EmptyState } from '../components/empty-state.tsx';
import { QueryList } from '../components/query-list.tsx';
import { VehicleLink } from '../components/vehicle-link.tsx';
import { useFormats, usePreferences, useT } from '../locale.tsx';
import { type CurrencyCode, parseMajor } from '../money.ts';
import { useCursorPages } from '../paging.ts';
import { useSession } from '../session.tsx';
import { plateText, type Violation } from '../types.ts';
import { Badge, Card } from '../ui.tsx';

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
  const costCentre = search.get('costCentre') ?? '';
  const from = search.get('from') ?? '';
  const to = search.get('to') ?? '';
  const minAmount = search.get('min') ?? '';
  const currency = (account?.currency ?? 'JOD') as CurrencyCode;
  const minAmountMinor = minAmount ? parseMajor(minAmount, currency) : undefined;
  const badAmount = minAmount !== '' && minAmountMinor === undefined;
  const pages = useCursorPages();
  const violations = useQuery({
    queryKey: ['violations', state, vehicleId, costCentre, from, to, minAmountMinor?.toString(), pages.after],
    queryFn: () =>
      get<{ violations: Violation[]; nextCursor: string | null }>(
        `/violations${query({
          state,
          vehicleId,
          costCentre,
          // Dates are the account's local days; the server takes instants, so send local midnights.
          from: from ? zonedMidnight(from, account?.timeZone) : undefined,
          to: to ? zonedMidnight(nextDay(to), account?.timeZone) : undefined,
          minAmountMinor: minAmountMinor?.toString(),
          after: pages.after,
          limit: 50,
        })}`,
      ),
    placeholderData: (previous) => previous,
    enabled: !badAmount && account !== undefined,
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
          <label>
            {t('fleet.cost_centre')}
            <input
              defaultValue={costCentre}
              onBlur={(e) => setFilter('costCentre', e.target.value.trim())}
              onKeyDown={(e) => {
                if (e.key === 'Enter') setFilter('costCentre', e.currentTarget.value.trim());
              }}
            />
          </label>
          <label>
            {t('violations.from')}
            <input type="date" value={from} onChange={(e) => setFilter('from', e.target.value)} />
          </label>
          <label>
            {t('violations.to')}
            <input type="date" value={to} onChange={(e) => setFilter('to', e.target.value)} />
          </label>
          <label>
            {t('violations.min_amount', { currency })}
            <input
              inputMode="decimal"
              defaultValue={minAmount}
              aria-invalid={badAmount}
              onBlur={(e) => setFilter('min', e.target.value.trim())}
              onKeyDown={(e) => {
                if (e.key === 'Enter') setFilter('min', e.currentTarget.value.trim());
              }}
            />
          </label>
          {vehicleId ? (
            <button type="button" onClick={() => setFilter('vehicleId', '')}>
              {t('violations.clear_vehicle', { id: vehicleId })}
            </button>
          ) : null}
        </div>
        {badAmount ? <p className="error">{t('violations.bad_amount')}</p> : null}
        <QueryList
          query={violations}
          rows={(d) => d.violations}
          nextCursor={(d) => d.nextCursor}
          pages={pages}
          empty={
            <EmptyState title={t('violations.none')}>
              <p>{t('violations.none_next')}</p>
            </EmptyState>
          }
        >
          {(rows) => <ViolationTable violations={rows} f={f} language={language} />}
        </QueryList>
      </Card>
    </div>
  );
}

/** Violations in a table: ticket, offence time, vehicle, what and where, state, amount. */
function ViolationTable({
  violations,
  f,
  language,
}: {
  violations: readonly Violation[];
  f: ReturnType<typeof useFormats>;
  language: 'ar' | 'en';
}) {
  const t = useT();
  const columns: Column<Violation>[] = [
    {
      key: 'ticket',
      header: t('violations.ticket'),
      className: 'mono',
      cell: (v) => <span dir="ltr">{v.ticketNumber}</span>,
    },
    { key: 'offence', header: t('violations.offence'), cell: (v) => f.dateTime(v.offenceAt) },
    {
      key: 'vehicle',
      header: t('violations.vehicle'),
      cell: (v) => <VehicleLink id={v.vehicleId} plate={v.plateKey ? plateText(v.plateKey) : v.vehicleId} />,
    },
    {
      key: 'description',
      header: t('violations.description'),
      cell: (v) => (
        <>
          {language === 'ar' ? v.descriptionAr : v.descriptionEn}
          <div className="muted small">{v.location}</div>
        </>
      ),
    },
    {
      key: 'state',
      header: t('violations.state'),
      cell: (v) => (
        <>
          <Badge kind={v.state === 'outstanding' ? 'warn' : 'muted'}>{t(`state.${v.state}`)}</Badge>
          {v.suspectSettlement ? <Badge kind="bad">{t('violations.suspect')}</Badge> : null}
        </>
      ),
    },
    {
      key: 'amount',
      header: t('runs.amount'),
      numeric: true,
      minor: (v) => v.amountMinor,
      cell: (v) => f.money(v.amountMinor),
    },
  ];
  return <DataTable rows={violations} columns={columns} rowKey={(v) => v.ticketNumber} testId="violations" />;
}

function nextDay(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

/** The instant a local date starts in a time zone (its offset read back from Intl). */
function zonedMidnight(date: string, timeZone: string | undefined): string {
  const utc = new Date(`${date}T00:00:00Z`);
  if (!timeZone) return utc.toISOString();
  const offsetName = new Intl.DateTimeFormat('en', { timeZone, timeZoneName: 'longOffset' })
    .formatToParts(utc)
    .find((p) => p.type === 'timeZoneName')?.value;
  const m = /GMT([+-])(\d{2}):?(\d{2})?/.exec(offsetName ?? '');
  if (!m) return utc.toISOString();
  const minutes = (Number(m[2]) * 60 + Number(m[3] ?? 0)) * (m[1] === '+' ? 1 : -1);
  return new Date(utc.getTime() - minutes * 60_000).toISOString();
}
