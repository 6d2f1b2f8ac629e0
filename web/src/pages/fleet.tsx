import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { get, query } from '../api.ts';
import { type Column, DataTable } from '../components/data-table.tsx';
import { EmptyState } from '../components/empty-state.tsx';
import { FilterSelect } from '../components/filter-select.tsx';
import { QueryList } from '../components/query-list.tsx';
import { VehicleLink } from '../components/vehicle-link.tsx';
import { useFormats, useT } from '../locale.tsx';
import { useCursorPages } from '../paging.ts';
import { useSession } from '../session.tsx';
import type { Vehicle } from '../types.ts';
import { Badge, Card } from '../ui.tsx';
import { UploadCard } from './fleet-upload.tsx';

export default function Fleet() {
  const t = useT();
  const { may } = useSession();
  return (
    <div className="page">
      <h1>{t('fleet.title')}</h1>
      {may('fleet.write') ? <UploadCard /> : null}
      <VehiclesCard />
    </div>
  );
}

function VehiclesCard() {
  const t = useT();
  const f = useFormats();
  const { may } = useSession();
  const [q, setQ] = useState('');
  const [centre, setCentre] = useState('');
  const [filter, setFilter] = useState({ search: '', costCentre: '' });
  const [status, setStatus] = useState<'active' | 'removed' | 'all'>('active');
  const pages = useCursorPages();
  const vehicles = useQuery({
    queryKey: ['vehicles', filter, status, pages.after],
    queryFn: () =>
      get<{ vehicles: Vehicle[]; nextCursor: string | null }>(
        `/vehicles${query({ q: filter.search, costCentre: filter.costCentre, status, limit: 50, after: pages.after })}`,
      ),
    placeholderData: (previous) => previous,
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    pages.reset();
    setFilter({ search: q.trim(), costCentre: centre.trim() });
  };
  const filtered = Boolean(filter.search || filter.costCentre || status !== 'active');
  const columns: Column<Vehicle>[] = [
    {
      key: 'plate',
      header: t('violations.plate'),
      cell: (v) => <VehicleLink id={v.id} plate={v.plateDisplay} />,
    },
    { key: 'label', header: t('fleet.label'), cell: (v) => v.label ?? '' },
    { key: 'driver', header: t('fleet.driver'), cell: (v) => v.driver ?? '' },
    { key: 'cost-centre', header: t('fleet.cost_centre'), cell: (v) => v.costCentre ?? '' },
    {
      key: 'status',
      header: t('fleet.status'),
      cell: (v) =>
        v.active ? (
          <Badge kind="ok">{t('fleet.status_active')}</Badge>
        ) : (
          <Badge kind="muted">{t('fleet.removed_on', { date: f.date(v.activeUntil ?? v.activeFrom) })}</Badge>
        ),
    },
  ];
  return (
    <Card title={t('fleet.vehicles')}>
      <form className="filters" onSubmit={submit}>
        <label>
          {t('fleet.search')}
          <input
            type="search"
            value={q}
            onChange={(e) => setQ(e.target.value)}
            placeholder={t('fleet.search_hint')}
          />
        </label>
        <label>
          {t('fleet.cost_centre_filter')}
          <input type="text" name="costCentre" value={centre} onChange={(e) => setCentre(e.target.value)} />
        </label>
        <FilterSelect
          label={t('fleet.status')}
          value={status}
          options={(['active', 'removed', 'all'] as const).map((s) => ({
            value: s,
            label: t(`fleet.status_${s}`),
          }))}
          onChange={(value) => {
            pages.reset();
            setStatus(value as typeof status);
          }}
        />
        <button type="submit">{t('fleet.search_button')}</button>
      </form>
      <QueryList
        query={vehicles}
        rows={(d) => d.vehicles}
        nextCursor={(d) => d.nextCursor}
        pages={pages}
        empty={
          <EmptyState
            title={
              filter.search
                ? t('fleet.no_match')
                : filtered
                  ? t('fleet.no_match_filters')
                  : t('fleet.no_vehicles')
            }
          >
            {!filtered && may('fleet.write') ? <p>{t('fleet.no_vehicles_next')}</p> : null}
          </EmptyState>
        }
      >
        {(rows) => <DataTable rows={rows} columns={columns} rowKey={(v) => v.id} testId="vehicles" />}
      </QueryList>
    </Card>
  );
}
