import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link } from 'wouter';
import { get, post, query } from '../api.ts';
import { EmptyState } from '../components/empty-state.tsx';
import { FilterSelect } from '../components/filter-select.tsx';
import { QueryList } from '../components/query-list.tsx';
import { useFormats, useT } from '../locale.tsx';
import { useCursorPages } from '../paging.ts';
import { useSession } from '../session.tsx';
import { Badge, Card, ErrorMessage } from '../ui.tsx';
import { type Evidence, ExceptionEvidence } from './exception-evidence.tsx';

interface AccountException {
  id: string;
  kind: string;
  runId: string | null;
  status: 'open' | 'confirmed' | 'dismissed' | 'resolved';
  details: Evidence;
  createdAt: string;
  resolvedAt: string | null;
  resolutionNote: string | null;
}

const statuses = ['open', 'resolved', 'confirmed', 'dismissed'] as const;
const kinds = [
  'amount_mismatch',
  'unknown_reference',
  'superseded_reference',
  'expired_reference',
  'duplicate_payment',
  'payment_reversed',
  'paid_still_outstanding',
  'settled_without_payment',
  'suspect_mass_settlement',
] as const;

export default function Exceptions() {
  const t = useT();
  const [status, setStatus] = useState('open');
  const [kind, setKind] = useState('');
  const pages = useCursorPages();
  const list = useQuery({
    queryKey: ['exceptions', status, kind, pages.after],
    queryFn: () =>
      get<{ exceptions: AccountException[]; nextCursor: string | null }>(
        `/exceptions${query({ status, kind, before: pages.after, limit: 20 })}`,
      ),
    placeholderData: (previous) => previous,
  });
  return (
    <div className="page">
      <h1>{t('exceptions.title')}</h1>
      <p className="muted">{t('exceptions.intro')}</p>
      <Card>
        <div className="filters">
          <FilterSelect
            label={t('exceptions.status')}
            name="status"
            value={status}
            all={t('exceptions.all')}
            options={statuses.map((s) => ({ value: s, label: t(`exceptions.${s}`) }))}
            onChange={(value) => {
              pages.reset();
              setStatus(value);
            }}
          />
          <FilterSelect
            label={t('exceptions.kind')}
            name="kind"
            value={kind}
            all={t('exceptions.all_kinds')}
            options={kinds.map((k) => ({ value: k, label: t(`exception_kind.${k}`) }))}
            onChange={(value) => {
              pages.reset();
              setKind(value);
            }}
          />
        </div>
        <QueryList
          query={list}
          rows={(d) => d.exceptions}
          nextCursor={(d) => d.nextCursor}
          pages={pages}
          empty={<EmptyState title={t('exceptions.none')} />}
        >
          {(exceptions) => (
            <ul className="exception-list">
              {exceptions.map((x) => (
                <ExceptionItem key={x.id} exception={x} />
              ))}
            </ul>
          )}
        </QueryList>
      </Card>
    </div>
  );
}

function ExceptionItem({ exception: x }: { exception: AccountException }) {
  const t = useT();
  const { account, may } = useSession();
  const f = useFormats(account);
  const decidable = x.status === 'open' && may('money.write');
  return (
    <li className="card" data-exception={x.id}>
      <h2>
        {t(`exception_kind.${x.kind}`)}{' '}
        <Badge kind={x.status === 'open' ? 'warn' : 'muted'}>{t(`exceptions.${x.status}`)}</Badge>
      </h2>
      <p className="muted">
        {f.dateTime(x.createdAt)}
        {x.runId ? (
          <>
            {' · '}
            <Link href={`/runs/${x.runId}`}>{t('runs.run_number', { id: x.runId })}</Link>
          </>
        ) : null}
      </p>
      <p>{t(`exception_help.${x.kind}`)}</p>
      {x.details.heldSettlements !== undefined ? (
        <p>{t('exceptions.held_text', { count: x.details.heldSettlements })}</p>
      ) : null}
      <ExceptionEvidence details={x.details} />
      {x.status === 'resolved' && x.resolvedAt ? (
        <div className="resolution">
          <p>{t('exceptions.resolved_on', { at: f.dateTime(x.resolvedAt) })}</p>
          {x.resolutionNote ? <blockquote>{x.resolutionNote}</blockquote> : null}
        </div>
      ) : null}
      {decidable && x.kind === 'suspect_mass_settlement' ? <HeldSettlementDecision id={x.id} /> : null}
      {decidable && x.kind !== 'suspect_mass_settlement' ? <ResolveWithNote id={x.id} /> : null}
    </li>
  );
}

function useRefreshExceptions() {
  const client = useQueryClient();
  return () => {
    client.invalidateQueries({ queryKey: ['exceptions'] });
    client.invalidateQueries({ queryKey: ['dashboard'] });
  };
}

/** A held mass settlement is confirmed (they were settled) or dismissed (they stay outstanding). */
function HeldSettlementDecision({ id }: { id: string }) {
  const t = useT();
  const refresh = useRefreshExceptions();
  const decide = useMutation({
    mutationFn: (verb: 'confirm' | 'dismiss') => post(`/exceptions/${id}/${verb}`),
    onSuccess: refresh,
  });
  return (
    <>
      <ErrorMessage error={decide.error} />
      <div className="actions">
        <button type="button" disabled={decide.isPending} onClick={() => decide.mutate('confirm')}>
          {t('exceptions.confirm')}
        </button>
        <button type="button" disabled={decide.isPending} onClick={() => decide.mutate('dismiss')}>
          {t('exceptions.dismiss')}
        </button>
      </div>
    </>
  );
}

/** A payment exception is closed by saying what was done about it; the note is kept and audited. */
function ResolveWithNote({ id }: { id: string }) {
  const t = useT();
  const refresh = useRefreshExceptions();
  const [writing, setWriting] = useState(false);
  const [note, setNote] = useState('');
  const resolve = useMutation({
    mutationFn: () => post(`/exceptions/${id}/resolve`, { note }),
    onSuccess: refresh,
  });
  if (!writing) {
    return (
      <div className="actions">
        <button type="button" onClick={() => setWriting(true)}>
          {t('exceptions.resolve')}
        </button>
      </div>
    );
  }
  const submit = (event: FormEvent) => {
    event.preventDefault();
    resolve.mutate();
  };
  return (
    <form className="form" onSubmit={submit}>
      <label>
        {t('exceptions.note')}
        <textarea
          value={note}
          onChange={(e) => setNote(e.target.value)}
          required
          minLength={3}
          maxLength={2000}
          rows={3}
        />
      </label>
      <p className="hint">{t('exceptions.note_hint')}</p>
      <ErrorMessage error={resolve.error} />
      <div className="actions">
        <button type="submit" className="primary" disabled={resolve.isPending || note.trim().length < 3}>
          {resolve.isPending ? t('exceptions.resolving') : t('exceptions.resolve_submit')}
        </button>
        <button type="button" onClick={() => setWriting(false)}>
          {t('exceptions.cancel')}
        </button>
      </div>
    </form>
  );
}
