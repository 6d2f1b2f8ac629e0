import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useIntl } from 'react-intl';
import { Link } from 'wouter';
import { ApiError, post } from '../api.ts';
import { errorText, reasonIn } from '../errors.ts';
import { useFormats, usePreferences, useT } from '../locale.tsx';
import { useSession } from '../session.tsx';
import { Badge, Card, ErrorMessage } from '../ui.tsx';
import { DocumentButtons } from './documents.tsx';
import { type IssueOutcome, PaymentNumberSummary } from './payment-parts.tsx';

interface Clearance {
  id: string;
  plate: string;
  asOf: string;
  code: string;
  verifyUrl: string;
  certificate: string;
}

interface OutstandingDetail {
  ticketNumber: string;
  amountMinor: string;
  offenceAt: string;
  held: boolean;
}

/** Why the API refused a clearance certificate (409), in words, with the violations in the way. */
function ClearanceRefusal({ error }: { error: unknown }) {
  const t = useT();
  const { language } = usePreferences();
  const intl = useIntl();
  const { account } = useSession();
  const f = useFormats(account);
  if (!(error instanceof ApiError) || error.status !== 409) return <ErrorMessage error={error} />;
  const details = (error.details ?? {}) as {
    violations?: OutstandingDetail[];
    lookup?: { status: string; attempts: number; reason: string | null; reasonAr?: string | null };
  };
  const id = `error.${error.code}`;
  const text =
    id in intl.messages
      ? t(id, { count: details.violations?.length ?? 0 })
      : errorText(t, error, (key) => key in intl.messages);
  return (
    <div className="error" role="alert">
      <p>{text}</p>
      {details.violations?.length ? (
        <ul>
          {details.violations.map((v) => (
            <li key={v.ticketNumber}>
              <span dir="ltr" className="mono">
                {v.ticketNumber}
              </span>{' '}
              · {f.date(v.offenceAt)} · {f.money(v.amountMinor)}{' '}
              {v.held ? <Badge kind="warn">{t('runs.held_one')}</Badge> : null}
            </li>
          ))}
        </ul>
      ) : null}
      {details.lookup?.reason ? (
        <p>
          {t('vehicle.lookup_reason')}{' '}
          <bdi>{reasonIn(language, details.lookup.reason, details.lookup.reasonAr)}</bdi>
        </p>
      ) : null}
    </div>
  );
}

/** A vehicle's money: its statement, a clearance certificate, and a payment number of its own. */
export function VehicleMoney({ vehicleId }: { vehicleId: string }) {
  const t = useT();
  const client = useQueryClient();
  const { account, may } = useSession();
  const f = useFormats(account);
  const clearance = useMutation({
    mutationFn: () => post<Clearance>(`/vehicles/${vehicleId}/clearance`),
  });
  const issue = useMutation({
    mutationFn: () =>
      post<IssueOutcome>('/payment-numbers', {
        kind: 'vehicle',
        selection: { scope: 'vehicles', vehicleIds: [vehicleId] },
      }),
    onSuccess: () => client.invalidateQueries({ queryKey: ['payment-numbers'] }),
  });
  if (!may('money.read')) return null;
  return (
    <Card title={t('vehicle.money')}>
      <DocumentButtons
        label={t('documents.vehicle_statement')}
        documents={(['ar', 'en'] as const).map((lang) => ({
          path: `/vehicles/${vehicleId}/statement.pdf?lang=${lang}`,
          fallbackName: `vehicle-${vehicleId}-statement-${lang}.pdf`,
          label: t(`documents.pdf_${lang}`),
        }))}
      />
      {may('money.write') ? (
        <>
          <div className="actions">
            <button type="button" onClick={() => clearance.mutate()} disabled={clearance.isPending}>
              {clearance.isPending ? t('vehicle.clearance_issuing') : t('vehicle.clearance_issue')}
            </button>
            <button type="button" onClick={() => issue.mutate()} disabled={issue.isPending}>
              {issue.isPending ? t('payments.issuing') : t('vehicle.payment_number_issue')}
            </button>
          </div>
          {clearance.isError ? <ClearanceRefusal error={clearance.error} /> : null}
          {clearance.data ? (
            <div className="notice" role="status">
              <p>{t('vehicle.clearance_issued', { asOf: f.dateTime(clearance.data.asOf) })}</p>
              <p>
                {t('vehicle.clearance_verify')}{' '}
                <a href={clearance.data.verifyUrl} dir="ltr" target="_blank" rel="noreferrer">
                  {clearance.data.verifyUrl}
                </a>
              </p>
              <p className="hint">{t('vehicle.clearance_code_once')}</p>
              <DocumentButtons
                label={t('vehicle.clearance_certificate')}
                documents={[
                  {
                    path: clearance.data.certificate.replace(/^\/api\/v1/, ''),
                    fallbackName: `clearance-${clearance.data.id}.pdf`,
                    label: t('documents.pdf_ar_en'),
                  },
                ]}
              />
            </div>
          ) : null}
          <ErrorMessage error={issue.error} />
          {issue.data ? <PaymentNumberSummary outcome={issue.data} /> : null}
        </>
      ) : null}
      <p>
        <Link href={`/payments?vehicle=${vehicleId}`}>{t('vehicle.see_payment_numbers')}</Link>
      </p>
    </Card>
  );
}
