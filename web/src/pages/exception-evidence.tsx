import type { ReactNode } from 'react';
import { useFormats, useT } from '../locale.tsx';
import { useSession } from '../session.tsx';

/**
 * What an exception's `details` may carry, by kind: a payment's evidence (mismatches, unknown,
 * superseded or expired numbers, duplicates, reversals), a paid number the authority still lists,
 * the violations a run saw settled without a payment of ours, or a held mass settlement.
 */
export interface Evidence {
  heldSettlements?: number;
  transactionId?: string;
  reversesTransactionId?: string;
  network?: string;
  reference?: string;
  number?: string;
  amountMinor?: string;
  feeMinor?: string;
  dueMinor?: string;
  paidBeforeMinor?: string;
  differenceMinor?: string;
  numberState?: string;
  paidAt?: string;
  reversedAt?: string;
  channel?: string | null;
  referenceProblem?: string;
  currencyExpected?: string;
  unpaid?: boolean;
  days?: number;
  violations?: number;
  tickets?: string[];
  reversal?: { reversedAt?: string };
}

const ltr = (text: string) => <bdi dir="ltr">{text}</bdi>;

/** An exception's evidence as a list of facts, in the account's money, dates and the chosen words. */
export function ExceptionEvidence({ details }: { details: Evidence }) {
  const t = useT();
  const { account } = useSession();
  const f = useFormats(account);
  // A payment in another currency than the number's: its amount without a currency sign.
  const money = (minor: string) => f.money(minor, details.currencyExpected === undefined);
  const facts: Array<[string, ReactNode]> = [];
  const add = (label: string, value: ReactNode | undefined | null | false) => {
    if (value !== undefined && value !== null && value !== false) facts.push([label, value]);
  };
  add(t('exceptions.transaction'), details.transactionId && ltr(details.transactionId));
  add(
    t('exceptions.reverses_transaction'),
    details.reversesTransactionId && ltr(details.reversesTransactionId),
  );
  add(t('payments.network'), details.network && ltr(details.network));
  add(t('exceptions.reference'), details.reference && <code dir="ltr">{details.reference}</code>);
  add(t('payments.number'), details.number && <code dir="ltr">{details.number}</code>);
  add(
    details.violations !== undefined ? t('exceptions.settled_amount') : t('exceptions.amount_paid'),
    details.amountMinor && money(details.amountMinor),
  );
  add(t('exceptions.fee'), details.feeMinor && details.feeMinor !== '0' && money(details.feeMinor));
  add(t('exceptions.due_then'), details.dueMinor && money(details.dueMinor));
  add(
    t('exceptions.paid_before'),
    details.paidBeforeMinor && details.paidBeforeMinor !== '0' && money(details.paidBeforeMinor),
  );
  if (details.differenceMinor) {
    const difference = BigInt(details.differenceMinor);
    add(
      t('exceptions.difference'),
      difference < 0n
        ? t('exceptions.short_by', { amount: money((-difference).toString()) })
        : t('exceptions.over_by', { amount: money(difference.toString()) }),
    );
  }
  add(t('exceptions.number_was'), details.numberState && t(`payment_state.${details.numberState}`));
  add(t('payments.paid_at'), details.paidAt && f.dateTime(details.paidAt));
  add(t('exceptions.channel'), details.channel);
  add(
    t('exceptions.reference_problem'),
    details.referenceProblem && t(`exceptions.reference_problem.${details.referenceProblem}`),
  );
  add(t('exceptions.currency_expected'), details.currencyExpected && ltr(details.currencyExpected));
  add(t('payments.reversed_at'), details.reversedAt && f.dateTime(details.reversedAt));
  add(t('exceptions.unpaid_again'), details.unpaid && t('exceptions.unpaid_again_text'));
  add(t('exceptions.days'), details.days !== undefined && t('exceptions.days_text', { days: details.days }));
  add(t('payments.reversed_at'), details.reversal?.reversedAt && f.dateTime(details.reversal.reversedAt));
  if (facts.length === 0 && !details.tickets) return null;
  const tickets = details.tickets ?? [];
  const count = details.violations ?? tickets.length;
  return (
    <>
      {facts.length > 0 ? (
        <dl className="facts">
          {facts.map(([label, value]) => (
            <div key={label}>
              <dt>{label}</dt>
              <dd>{value}</dd>
            </div>
          ))}
        </dl>
      ) : null}
      {tickets.length > 0 ? (
        <details className="evidence-tickets">
          <summary>{t('common.violations', { count })}</summary>
          <ul className="ticket-list">
            {tickets.map((ticket) => (
              <li key={ticket}>
                <code dir="ltr">{ticket}</code>
              </li>
            ))}
          </ul>
          {count > tickets.length ? (
            <p className="muted">{t('exceptions.tickets_listed', { count: tickets.length })}</p>
          ) : null}
        </details>
      ) : null}
    </>
  );
}
