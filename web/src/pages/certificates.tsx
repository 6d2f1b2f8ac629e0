import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { get, post, query } from '../api.ts';
import { type Column, DataTable } from '../components/data-table.tsx';
import { EmptyState } from '../components/empty-state.tsx';
import { FilterSelect } from '../components/filter-select.tsx';
import { QueryList } from '../components/query-list.tsx';
import { VehicleLink } from '../components/vehicle-link.tsx';
import { useFormats, useT } from '../locale.tsx';
import { useCursorPages } from '../paging.ts';
import { useSession } from '../session.tsx';
import { Badge, Card, ErrorMessage } from '../ui.tsx';
import { DocumentButtons } from './documents.tsx';

export interface Clearance {
  id: string;
  vehicleId: string;
  plate: string;
  asOf: string;
  status: 'valid' | 'revoked';
  issuedAt: string;
  revokedAt: string | null;
  revokeReason: string | null;
  revokedByRun: string | null;
  certificate: string;
}

const statuses = ['valid', 'revoked'] as const;

/** Clearance certificates of the account: each one's state, its PDF, and revocation with a reason. */
export default function Certificates() {
  const t = useT();
  const { may, account } = useSession();
  const f = useFormats(account);
  const [status, setStatus] = useState('');
  const [revoking, setRevoking] = useState<string | null>(null);
  const pages = useCursorPages();
  const clearances = useQuery({
    queryKey: ['clearances', status, pages.after],
    queryFn: () =>
      get<{ clearances: Clearance[]; nextCursor: string | null }>(
        `/clearances${query({ status, before: pages.after, limit: 25 })}`,
      ),
    placeholderData: (previous) => previous,
  });
  if (!may('money.read')) return <p className="error">{t('error.forbidden')}</p>;
  const columns: Column<Clearance>[] = [
    {
      key: 'plate',
      header: t('violations.plate'),
      cell: (c) => <VehicleLink id={c.vehicleId} plate={c.plate} />,
    },
    { key: 'as-of', header: t('certificates.as_of'), cell: (c) => f.dateTime(c.asOf) },
    { key: 'issued', header: t('certificates.issued_at'), cell: (c) => f.dateTime(c.issuedAt) },
    {
      key: 'status',
      header: t('fleet.status'),
      cell: (c) =>
        c.status === 'valid' ? (
          <Badge kind="ok">{t('certificates.status_valid')}</Badge>
        ) : (
          <>
            <Badge kind="bad">{t('certificates.status_revoked')}</Badge>{' '}
            <span className="muted">
              {c.revokedByRun
                ? t('certificates.revoked_by_run', { run: c.revokedByRun })
                : (c.revokeReason ?? '')}
            </span>
          </>
        ),
    },
    {
      key: 'certificate',
      header: t('vehicle.clearance_certificate'),
      cell: (c) => (
        <DocumentButtons
          compact
          label={t('certificates.certificate_of', { plate: c.plate })}
          documents={[
            {
              path: c.certificate.replace(/^\/api\/v1/, ''),
              fallbackName: `clearance-${c.id}.pdf`,
              label: t('certificates.pdf'),
            },
          ]}
        />
      ),
    },
  ];
  if (may('money.write'))
    columns.push({
      key: 'revoke',
      header: t('certificates.actions'),
      cell: (c) =>
        c.status === 'valid' ? (
          <button
            type="button"
            aria-expanded={revoking === c.id}
            onClick={() => setRevoking(revoking === c.id ? null : c.id)}
          >
            {t('certificates.revoke')}
          </button>
        ) : null,
    });
  const chosen = clearances.data?.clearances.find((c) => c.id === revoking);
  return (
    <div className="page">
      <h1>{t('certificates.title')}</h1>
      <Card title={t('certificates.list')}>
        <div className="filters">
          <FilterSelect
            label={t('fleet.status')}
            value={status}
            all={t('fleet.status_all')}
            options={statuses.map((s) => ({ value: s, label: t(`certificates.status_${s}`) }))}
            onChange={(value) => {
              pages.reset();
              setStatus(value);
            }}
          />
        </div>
        <QueryList
          query={clearances}
          rows={(d) => d.clearances}
          nextCursor={(d) => d.nextCursor}
          pages={pages}
          empty={
            <EmptyState title={status ? t('certificates.none_here') : t('certificates.none')}>
              <p>{t('certificates.none_next')}</p>
            </EmptyState>
          }
        >
          {(rows) => <DataTable rows={rows} columns={columns} rowKey={(c) => c.id} testId="clearances" />}
        </QueryList>
        {chosen ? <RevokeForm clearance={chosen} onDone={() => setRevoking(null)} /> : null}
      </Card>
    </div>
  );
}

function RevokeForm({ clearance, onDone }: { clearance: Clearance; onDone(): void }) {
  const t = useT();
  const id = useId();
  const client = useQueryClient();
  const [reason, setReason] = useState('');
  const revoke = useMutation({
    mutationFn: () => post<Clearance>(`/clearances/${clearance.id}/revoke`, { reason: reason.trim() }),
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: ['clearances'] });
      onDone();
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    revoke.mutate();
  };
  return (
    <form className="form" onSubmit={submit} aria-labelledby={id}>
      <h3 id={id}>{t('certificates.revoke_title', { plate: clearance.plate })}</h3>
      <p className="hint">{t('certificates.revoke_hint')}</p>
      <label>
        {t('certificates.reason')}
        <textarea
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          required
          minLength={3}
          maxLength={500}
          rows={3}
        />
      </label>
      <ErrorMessage error={revoke.error} />
      <div className="actions">
        <button type="submit" className="primary" disabled={revoke.isPending || reason.trim().length < 3}>
          {revoke.isPending ? t('certificates.revoking') : t('certificates.revoke_confirm')}
        </button>
        <button type="button" onClick={onDone}>
          {t('certificates.cancel')}
        </button>
      </div>
    </form>
  );
}
