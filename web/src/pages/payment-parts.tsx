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
  lines?: Array<{
    ticketNumber: string;
    vehicleId: string;
    offenceAt: string;
    amountMinor: string;
    state: string;
    paidMinor: string;
  }>;
}

export interface IssueOutcome {
  paymentNumbers: PaymentNumber[];
  issued: number;
  refused: Array<{ lines: number; code: string; message: string; messageAr?: string | null }>;
}

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
  return (
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
          </tr>
        </tfoot>
      </table>
    </TableScroll>
  );
}
