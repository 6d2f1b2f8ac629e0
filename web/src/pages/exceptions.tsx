import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'wouter';
import { get, post, query } from '../api.ts';
import { EmptyState } from '../components/empty-state.tsx';
import { useFormats, useT } from '../locale.tsx';
import { useSession } from '../session.tsx';
import { Badge, Card, ErrorMessage, Loading } from '../ui.tsx';

interface AccountException {
  id: string;
  kind: string;
  runId: string | null;
  status: 'open' | 'confirmed' | 'dismissed';
  details: { heldSettlements?: number };
  createdAt: string;
  resolvedAt: string | null;
}

export default function Exceptions() {
  const t = useT();
  const client = useQueryClient();
  const { account, may } = useSession();
  const f = useFormats(account);
  const [status, setStatus] = useState('open');
  const list = useQuery({
    queryKey: ['exceptions', status],
    queryFn: () => get<{ exceptions: AccountException[] }>(`/exceptions${query({ status })}`),
  });
  const decide = useMutation({
    mutationFn: ({ id, verb }: { id: string; verb: 'confirm' | 'dismiss' }) =>
      post(`/exceptions/${id}/${verb}`),
    onSuccess: () => {
      client.invalidateQueries({ queryKey: ['exceptions'] });
      client.invalidateQueries({ queryKey: ['dashboard'] });
    },
  });
  return (
    <div className="page">
      <h1>{t('exceptions.title')}</h1>
      <Card>
        <div className="filters">
          <label>
            {t('exceptions.status')}
            <select value={status} onChange={(e) => setStatus(e.target.value)}>
              <option value="open">{t('exceptions.open')}</option>
              <option value="confirmed">{t('exceptions.confirmed')}</option>
              <option value="dismissed">{t('exceptions.dismissed')}</option>
              <option value="">{t('exceptions.all')}</option>
            </select>
          </label>
        </div>
        <ErrorMessage error={decide.error} />
        {list.isPending ? (
          <Loading />
        ) : list.isError ? (
          <ErrorMessage error={list.error} />
        ) : list.data.exceptions.length === 0 ? (
          <EmptyState title={t('exceptions.none')} />
        ) : (
          <ul className="exception-list">
            {list.data.exceptions.map((x) => (
              <li key={x.id} className="card">
                <h2>
                  {t(`exception_kind.${x.kind}`)}{' '}
                  <Badge kind={x.status === 'open' ? 'warn' : 'muted'}>{t(`exceptions.${x.status}`)}</Badge>
                </h2>
                <p>
                  {f.dateTime(x.createdAt)}
                  {x.runId ? (
                    <>
                      {' · '}
                      <Link href={`/runs/${x.runId}`}>{t('runs.run_number', { id: x.runId })}</Link>
                    </>
                  ) : null}
                </p>
                {x.details.heldSettlements !== undefined ? (
                  <p>{t('exceptions.held_text', { count: x.details.heldSettlements })}</p>
                ) : null}
                {x.status === 'open' && may('money.write') && x.kind === 'suspect_mass_settlement' ? (
                  <div className="actions">
                    <button type="button" onClick={() => decide.mutate({ id: x.id, verb: 'confirm' })}>
                      {t('exceptions.confirm')}
                    </button>
                    <button type="button" onClick={() => decide.mutate({ id: x.id, verb: 'dismiss' })}>
                      {t('exceptions.dismiss')}
                    </button>
                  </div>
                ) : null}
              </li>
            ))}
          </ul>
        )}
      </Card>
    </div>
  );
}
