import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Fragment, useState } from 'react';
import { Link, useSearch } from 'wouter';
import { readPaymentNumber } from '../../../server/payments/payment-number.ts';
import { get, post, query } from '../api.ts';
import { type Column, DataTable } from '../components/data-table.tsx';
import { EmptyState } from '../components/empty-state.tsx';
import { FilterSelect } from '../components/filter-select.tsx';
import { QueryList } from '../components/query-list.tsx';
import { useFormats, useT } from '../locale.tsx';
import { useCursorPages } from '../paging.ts';
import { useSession } from '../session.tsx';
import { Badge, Card, ErrorMessage, TableScroll } from '../ui.tsx';
import { IssueForSelection } from './issue-selection.tsx';
import {
  type IssueOutcome,
  NumberLines,
  NumberState,
  type PaymentNumber,
  PaymentNumberSummary,
  paymentOutcomes,
} from './payment-parts.tsx';
import { SettlementUpload } from './settlement-upload.tsx';

const numberStates = ['open', 'paid', 'partially_paid', 'superseded', 'expired'] as const;

interface Payment {
  id: string;
  network: string;
  transactionId: string;
  number: string | null;
  amountMinor: string;
  feeMinor: string;
  paidAt: string;
  channel: string | null;
  outcome: string;
  /** When the network took the payment back (a refund); its number and lines are unpaid again. */
  reversedAt: string | null;
}

const outcomeBadge: Record<string, string> = {
  matched: 'ok',
  short: 'warn',
  over: 'warn',
  duplicate: 'muted',
};

export default function Payments() {
  const t = useT();
  const { may } = useSession();
  if (!may('money.read')) return <p className="error">{t('error.forbidden')}</p>;
  return (
    <div className="page">
      <h1>{t('payments.title')}</h1>
      {may('money.write') ? <IssueConsolidated /> : null}
      {may('money.write') ? <IssueForSelection /> : null}
      <PaymentNumbers />
      {may('money.write') ? <SettlementUpload /> : null}
      <PaymentsReceived />
    </div>
  );
}

function IssueConsolidated() {
  const t = useT();
  const client = useQueryClient();
  const issue = useMutation({
    mutationFn: () =>
      post<IssueOutcome>('/payment-numbers', { kind: 'consolidated', selection: { scope: 'account' } }),
    onSuccess: () => client.invalidateQueries({ queryKey: ['payment-numbers'] }),
  });
  return (
    <Card title={t('payments.issue_title')}>
      <p className="hint">{t('payments.issue_text')}</p>
      <div className="actions">
        <button type="button" onClick={() => issue.mutate()} disabled={issue.isPending}>
          {issue.isPending ? t('payments.issuing') : t('payments.issue_consolidated')}
        </button>
      </div>
      <ErrorMessage error={issue.error} />
      {issue.data ? <PaymentNumberSummary outcome={issue.data} /> : null}
    </Card>
  );
}

function PaymentNumbers() {
  const t = useT();
  const { account } = useSession();
  const f = useFormats(account);
  const vehicleId = new URLSearchParams(useSearch()).get('vehicle') ?? undefined;
  const [state, setState] = useState('');
  const [open, setOpen] = useState<string | null>(null);
  const pages = useCursorPages();
  const numbers = useQuery({
    queryKey: ['payment-numbers', state, vehicleId, pages.after],
    queryFn: () =>
      get<{ paymentNumbers: PaymentNumber[]; nextCursor: string | null }>(
        `/payment-numbers${query({ state, vehicleId, after: pages.after, limit: 25 })}`,
      ),
    placeholderData: (previous) => previous,
  });
  return (
    <Card title={t('payments.numbers')}>
      <div className="filters">
        <FilterSelect
          label={t('violations.state')}
          name="state"
          value={state}
          all={t('payments.all_states')}
          options={numberStates.map((s) => ({ value: s, label: t(`payment_state.${s}`) }))}
          onChange={(value) => {
            pages.reset();
            setState(value);
          }}
        />
        {vehicleId ? (
          <p>
            {t('payments.one_vehicle')} <Link href="/payments">{t('payments.all_vehicles')}</Link>
          </p>
        ) : null}
      </div>
      <QueryList
        query={numbers}
        rows={(d) => d.paymentNumbers}
        nextCursor={(d) => d.nextCursor}
        pages={pages}
        empty={
          <EmptyState title={t('payments.no_numbers')}>
            <p>{t('payments.no_numbers_next')}</p>
          </EmptyState>
        }
      >
        {(rows) => (
          <TableScroll>
            <table data-testid="payment-numbers">
              <thead>
                <tr>
                  <th scope="col">{t('payments.number')}</th>
                  <th scope="col">{t('payments.kind')}</th>
                  <th scope="col">{t('violations.state')}</th>
                  <th scope="col" className="num">
                    {t('payments.total')}
                  </th>
                  <th scope="col" className="num">
                    {t('payments.due_now')}
                  </th>
                  <th scope="col">{t('payments.issued_at')}</th>
                  <th scope="col">{t('payments.expires')}</th>
                  <th scope="col">{t('payments.lines')}</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((n) => (
                  <Fragment key={n.number}>
                    <tr data-number={n.number}>
                      <td dir="ltr" className="mono">
                        {n.number}
                      </td>
                      <td>
                        {n.vehicleId ? (
                          <Link href={`/vehicles/${n.vehicleId}`}>{t(`payment_kind.${n.kind}`)}</Link>
                        ) : (
                          t(`payment_kind.${n.kind}`)
                        )}
                      </td>
                      <td>
                        <NumberState state={n.state} />
                      </td>
                      <td className="num" data-minor={n.totalMinor}>
                        {f.money(n.totalMinor)}
                      </td>
                      <td className="num">{f.money(n.dueNowMinor)}</td>
                      <td>{f.date(n.issuedAt)}</td>
                      <td>{n.expiresAt ? f.dateTime(n.expiresAt) : '—'}</td>
                      <td>
                        <button
                          type="button"
                          className="link-button"
                          aria-expanded={open === n.number}
                          aria-controls={`lines-${n.number}`}
                          onClick={() => setOpen(open === n.number ? null : n.number)}
                        >
                          {t('payments.show_lines', { count: n.lineCount })}
                        </button>
                      </td>
                    </tr>
                    {open === n.number ? (
                      <tr id={`lines-${n.number}`}>
                        <td colSpan={8}>
                          <NumberLines number={n.number} />
                        </td>
                      </tr>
                    ) : null}
                  </Fragment>
                ))}
              </tbody>
            </table>
          </TableScroll>
        )}
      </QueryList>
    </Card>
  );
}

function PaymentsReceived() {
  const t = useT();
  const { account } = useSession();
  const f = useFormats(account);
  const pages = useCursorPages();
  const [outcome, setOutcome] = useState('');
  const [numberText, setNumberText] = useState('');
  // A payment number as people may type it (spaces or dashes between groups, any digits), read as
  // the server reads one: only a well-formed number filters.
  const reading = numberText.trim() === '' ? null : readPaymentNumber(numberText);
  const number = reading?.ok ? reading.number : undefined;
  const payments = useQuery({
    queryKey: ['payments', outcome, number, pages.after],
    queryFn: () =>
      get<{ payments: Payment[]; nextCursor: string | null }>(
        `/payments${query({ outcome, number, after: pages.after, limit: 25 })}`,
      ),
    placeholderData: (previous) => previous,
  });
  const columns: Column<Payment>[] = [
    { key: 'paid-at', header: t('payments.paid_at'), cell: (p) => f.dateTime(p.paidAt) },
    {
      key: 'transaction',
      header: t('exceptions.transaction'),
      cell: (p) => <span dir="ltr">{p.transactionId}</span>,
    },
    {
      key: 'number',
      header: t('payments.number'),
      className: 'mono',
      cell: (p) => <span dir="ltr">{p.number ?? '—'}</span>,
    },
    {
      key: 'network',
      header: t('payments.network'),
      cell: (p) => (
        <span dir="ltr">
          {p.network}
          {p.channel ? ` · ${p.channel}` : ''}
        </span>
      ),
    },
    {
      key: 'amount',
      header: t('runs.amount'),
      numeric: true,
      minor: (p) => p.amountMinor,
      cell: (p) => f.money(p.amountMinor),
    },
    {
      key: 'outcome',
      header: t('payments.outcome'),
      cell: (p) => <Badge kind={outcomeBadge[p.outcome] ?? 'bad'}>{t(`payment_outcome.${p.outcome}`)}</Badge>,
    },
    {
      key: 'reversed-at',
      header: t('payments.reversed_at'),
      cell: (p) =>
        p.reversedAt ? (
          <Badge kind="warn">{t('payments.reversed_on', { at: f.dateTime(p.reversedAt) })}</Badge>
        ) : (
          '—'
        ),
    },
  ];
  return (
    <Card title={t('payments.received')}>
      <div className="filters">
        <FilterSelect
          label={t('payments.outcome_filter')}
          name="outcome"
          value={outcome}
          all={t('payments.all_outcomes')}
          options={paymentOutcomes.map((o) => ({ value: o, label: t(`payment_outcome.${o}`) }))}
          onChange={(value) => {
            pages.reset();
            setOutcome(value);
          }}
        />
        <label>
          {t('payments.find_number')}
          <input
            type="search"
            name="number"
            dir="ltr"
            inputMode="numeric"
            value={numberText}
            onChange={(e) => {
              pages.reset();
              setNumberText(e.target.value);
            }}
          />
        </label>
      </div>
      {reading && !reading.ok ? (
        <p className="hint">{t(`exceptions.reference_problem.${reading.problem}`)}</p>
      ) : null}
      <QueryList
        query={payments}
        rows={(d) => d.payments}
        nextCursor={(d) => d.nextCursor}
        pages={pages}
        empty={<EmptyState title={t('payments.no_payments')} />}
      >
        {(rows) => <DataTable rows={rows} columns={columns} rowKey={(p) => p.id} testId="payments" />}
      </QueryList>
    </Card>
  );
}
