import { useQuery } from '@tanstack/react-query';
import { Link } from 'wouter';
import { get } from '../api.ts';
import { reasonIn } from '../errors.ts';
import { useFormats, usePreferences, useT } from '../locale.tsx';
import { sumMinor } from '../money.ts';
import { useSession } from '../session.tsx';
import { Badge, ErrorMessage, Loading, TableScroll } from '../ui.tsx';

export interface PaymentNumber {
  number: string;
  kind: 'violation' | 'vehicle' | 'consolidated';
  state: 'open' | 'paid' | 'partially_paid' | 'superseded' | 'expired';
  vehicleId: string | null;
  currency: string;
  lineCount: number;
  totalMinor: string;
  paidMinor: string;
  dueNowMinor: string;
  nextDeadlineAt: string | null;
  totalAfterDeadlineMinor: string;
  issuedAt: string;
  expiresAt: string | null;
  runId: string | null;
  channels: Array<{ channel: string; surchargeMinor: string; totalMinor: string }>;
  lines?: Array<{
    ticketNumber: string;
    vehicleId: string;
    offenceAt: string;
    amountMinor: string;
    amountAfterDeadlineMinor: string;
    state: string;
    paidMinor: string;
  }>;
}

export interface IssueOutcome {
  paymentNumbers: PaymentNumber[];
  issued: number;
  refused: Array<{ lines: number; code: string; message: string; messageAr?: string | null }>;
  /** For a selection of tickets: those no number covers. */
  notPayable?: string[];
}

/** The payment networks an account takes payments from (notifications and settlement files). */
export const paymentNetworks = ['generic', 'efawateercom', 'fawry'] as const;
export type PaymentNetwork = (typeof paymentNetworks)[number];

/** A payment's outcomes, in the order they are listed: matched first, then the mismatches. */
export const paymentOutcomes = [
  'matched',
  'short',
  'over',
  'duplicate',
  'unknown_number',
  'superseded_number',
  'expired_number',
] as const;

const stateBadge: Record<PaymentNumber['state'], string> = {
  open: 'info',
  paid: 'ok',
  partially_paid: 'warn',
  superseded: 'muted',
  expired: 'bad',
};

export function NumberState({ state }: { state: PaymentNumber['state'] }) {
  const t = useT();
  return <Badge kind={stateBadge[state]}>{t(`payment_state.${state}`)}</Badge>;
}

/** What an issue request gave: the numbers (new or the open one for the same set) and refusals. */
export function PaymentNumberSummary({ outcome }: { outcome: IssueOutcome }) {
  const t = useT();
  const { language } = usePreferences();
  const { account } = useSession();
  const f = useFormats(account);
  return (
    <div role="status">
      <p>
        {outcome.issued > 0
          ? t('payments.issued', { count: outcome.issued })
          : outcome.paymentNumbers.length > 0
            ? t('payments.already_open')
            : t('payments.nothing_payable')}
      </p>
      <ul>
        {outcome.paymentNumbers.map((n) => (
          <li key={n.number}>
            <span dir="ltr" className="mono">
              {n.number}
            </span>{' '}
            · {t(`payment_kind.${n.kind}`)} · {f.money(n.totalMinor)}
          </li>
        ))}
      </ul>
      {outcome.refused.length > 0 ? (
        <ul className="warn">
          {outcome.refused.map((r) => (
            <li key={`${r.code}-${r.lines}`}>
              {t('payments.refused', { count: r.lines })}{' '}
              <bdi>{reasonIn(language, r.message, r.messageAr)}</bdi>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

/**
 * What a number costs by when and how: due now, what its lines come to after the next deadline
 * (an escalation, or the end of an early-payment discount), and each payment channel's price
 * where the jurisdiction charges more for one (Egypt's 5% on cash).
 */
function PayByWhen({ detail }: { detail: PaymentNumber }) {
  const t = useT();
  const { account } = useSession();
  const f = useFormats(account);
  const surcharged = detail.channels.some((c) => c.surchargeMinor !== '0');
  return (
    <dl className="facts pay-by-when">
      <div>
        <dt>{t('payments.due_now')}</dt>
        <dd>{f.money(detail.dueNowMinor)}</dd>
      </div>
      {detail.nextDeadlineAt ? (
        <div>
          <dt>{t('payments.after_deadline', { at: f.dateTime(detail.nextDeadlineAt) })}</dt>
          <dd>{f.money(detail.totalAfterDeadlineMinor)}</dd>
        </div>
      ) : null}
      {surcharged
        ? detail.channels.map((c) => (
            <div key={c.channel}>
              <dt>{t(`payments.channel_${c.channel}`)}</dt>
              <dd>
                {f.money(c.totalMinor)}
                {c.surchargeMinor !== '0' ? (
                  <span className="muted">
                    {' '}
                    · {t('payments.surcharge', { amount: f.money(c.surchargeMinor) })}
                  </span>
                ) : null}
              </dd>
            </div>
          ))
        : null}
    </dl>
  );
}

/** A number's frozen lines, whose amounts add up to the number's total. */
export function NumberLines({ number }: { number: string }) {
  const t = useT();
  const { account } = useSession();
  const f = useFormats(account);
  const detail = useQuery({
    queryKey: ['payment-number', number],
    queryFn: () => get<PaymentNumber>(`/payment-numbers/${number}`),
  });
  if (detail.isPending) return <Loading />;
  if (detail.isError) return <ErrorMessage error={detail.error} />;
  const lines = detail.data.lines ?? [];
  const sum = sumMinor(lines.map((l) => l.amountMinor));
  const later = detail.data.nextDeadlineAt ? sumMinor(lines.map((l) => l.amountAfterDeadlineMinor)) : null;
  return (
    <>
      <PayByWhen detail={detail.data} />
      <TableScroll>
        <table className="lines" data-testid={`lines-${number}`}>
          <caption>{t('payments.lines_of', { number })}</caption>
          <thead>
            <tr>
              <th scope="col">{t('violations.ticket')}</th>
              <th scope="col">{t('violations.vehicle')}</th>
              <th scope="col">{t('violations.offence')}</th>
              <th scope="col">{t('violations.state')}</th>
              <th scope="col" className="num">
                {t('runs.amount')}
              </th>
              {later !== null ? (
                <th scope="col" className="num">
                  {t('payments.after_deadline_short')}
                </th>
              ) : null}
            </tr>
          </thead>
          <tbody>
            {lines.map((l) => (
              <tr key={l.ticketNumber}>
                <td dir="ltr" className="mono">
                  {l.ticketNumber}
                </td>
                <td>
                  <Link href={`/vehicles/${l.vehicleId}`}>{t('payments.vehicle_link')}</Link>
                </td>
                <td>{f.date(l.offenceAt)}</td>
                <td>{t(`line_state.${l.state}`)}</td>
                <td className="num" data-minor={l.amountMinor}>
                  {f.money(l.amountMinor)}
                </td>
                {later !== null ? (
                  <td className="num" data-later-minor={l.amountAfterDeadlineMinor}>
                    {f.money(l.amountAfterDeadlineMinor)}
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr>
              <th scope="row" colSpan={4}>
                {t('payments.lines_total', { count: lines.length })}
              </th>
              <td className="num" data-minor={sum.toString()}>
                {f.money(sum)}
              </td>
              {later !== null ? (
                <td className="num" data-later-minor={later.toString()}>
                  {f.money(later)}
                </td>
              ) : null}
            </tr>
          </tfoot>
        </table>
      </TableScroll>
    </>
  );
}
