import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link } from 'wouter';
import { get, query } from '../api.ts';
import { EmptyState } from '../components/empty-state.tsx';
import { Pager } from '../components/pager.tsx';
import { useFormats, useT } from '../locale.tsx';
import { useCursorPages } from '../paging.ts';
import { useSession } from '../session.tsx';
import type { Vehicle } from '../types.ts';
import { Badge, Card, ErrorMessage, Loading, TableScroll } from '../ui.tsx';
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
  const [search, setSearch] = useState('');
  const [status, setStatus] = useState<'active' | 'removed' | 'all'>('active');
  const pages = useCursorPages();
  const vehicles = useQuery({
    queryKey: ['vehicles', search, status, pages.after],
    queryFn: () =>
      get<{ vehicles: Vehicle[]; nextCursor: string | null }>(
        `/vehicles${query({ q: search, status, limit: 50, after: pages.after })}`,
      ),
    placeholderData: (previous) => previous,
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    pages.reset();
    setSearch(q.trim());
  };
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
          {t('fleet.status')}
          <select
            value={status}
            onChange={(e) => {
              pages.reset();
              setStatus(e.target.value as typeof status);
            }}
          >
            <option value="active">{t('fleet.status_active')}</option>
            <option value="removed">{t('fleet.status_removed')}</option>
            <option value="all">{t('fleet.status_all')}</option>
          </select>
        </label>
        <button type="submit">{t('fleet.search_button')}</button>
      </form>
      {vehicles.isPending ? (
        <Loading />
      ) : vehicles.isError ? (
        <ErrorMessage error={vehicles.error} />
      ) : vehicles.data.vehicles.length === 0 ? (
        <EmptyState title={search ? t('fleet.no_match') : t('fleet.no_vehicles')}>
          {!search && may('fleet.write') ? <p>{t('fleet.no_vehicles_next')}</p> : null}
        </EmptyState>
      ) : (
        <>
          <TableScroll>
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('violations.plate')}</th>
                  <th scope="col">{t('fleet.label')}</th>
                  <th scope="col">{t('fleet.driver')}</th>
                  <th scope="col">{t('fleet.cost_centre')}</th>
                  <th scope="col">{t('fleet.status')}</th>
                </tr>
              </thead>
              <tbody>
                {vehicles.data.vehicles.map((v) => (
                  <tr key={v.id}>
                    <td>
                      <Link href={`/vehicles/${v.id}`} dir="ltr">
                        {v.plateDisplay}
                      </Link>
                    </td>
                    <td>{v.label ?? ''}</td>
                    <td>{v.driver ?? ''}</td>
                    <td>{v.costCentre ?? ''}</td>
                    <td>
                      {v.active ? (
                        <Badge kind="ok">{t('fleet.status_active')}</Badge>
                      ) : (
                        <Badge kind="muted">
                          {t('fleet.removed_on', { date: f.date(v.activeUntil ?? v.activeFrom) })}
                        </Badge>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
          <Pager
            page={pages.page}
            hasNext={Boolean(vehicles.data.nextCursor)}
            onPrevious={pages.previous}
            onNext={() => pages.next(vehicles.data?.nextCursor)}
          />
        </>
      )}
    </Card>
  );
}
