import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { Link } from 'wouter';
import { ApiError, postForm } from '../api.ts';
import { IssueTable } from '../components/issue-table.tsx';
import { useFormats, usePreferences, useT } from '../locale.tsx';
import type { UploadIssue } from '../types.ts';
import { Card, ErrorMessage } from '../ui.tsx';
import { type PaymentNetwork, paymentNetworks, paymentOutcomes } from './payment-parts.tsx';

interface SettlementReport {
  fileName: string;
  rows: number;
  recorded: number;
  alreadyRecorded: number;
  outcomes: Record<string, number>;
}

/**
 * An accountant sends the bank's or the network's end-of-day file: every row is checked first (a
 * bad row refuses the whole file, each problem listed by row and column), then each transaction
 * is recorded once and matched; what did not match waits on the Exceptions page.
 */
export function SettlementUpload() {
  const t = useT();
  const { language } = usePreferences();
  const client = useQueryClient();
  const inputId = useId();
  const [file, setFile] = useState<File | null>(null);
  const [network, setNetwork] = useState<PaymentNetwork>('generic');
  const upload = useMutation({
    mutationFn: () => {
      const form = new FormData();
      form.append('network', network);
      form.append('file', file!);
      return postForm<SettlementReport>('/payments/settlements', form);
    },
    onSuccess: () => {
      for (const key of ['payments', 'payment-numbers', 'exceptions', 'dashboard'])
        client.invalidateQueries({ queryKey: [key] });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (file) upload.mutate();
  };
  const rowErrors =
    upload.error instanceof ApiError && upload.error.code === 'settlement.invalid_rows'
      ? ((upload.error.details as { errors?: UploadIssue[] } | null)?.errors ?? [])
      : [];
  return (
    <Card title={t('settlement.title')}>
      <p className="hint">{t('settlement.text')}</p>
      <form className="form" onSubmit={submit}>
        <div className="filters">
          <label>
            {t('settlement.network')}
            <select
              name="network"
              value={network}
              onChange={(e) => setNetwork(e.target.value as PaymentNetwork)}
            >
              {paymentNetworks.map((n) => (
                <option key={n} value={n}>
                  {t(`settlement.network_${n}`)}
                </option>
              ))}
            </select>
          </label>
          <label htmlFor={inputId}>
            {t('settlement.file')}
            <input
              id={inputId}
              type="file"
              name="file"
              accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
              onChange={(e) => {
                setFile(e.target.files?.[0] ?? null);
                upload.reset();
              }}
            />
          </label>
        </div>
        <div className="actions">
          <button type="submit" className="primary" disabled={!file || upload.isPending}>
            {upload.isPending ? t('settlement.matching') : t('settlement.send')}
          </button>
        </div>
      </form>
      <ErrorMessage error={upload.error} />
      {rowErrors.length > 0 ? <IssueTable issues={rowErrors} language={language} /> : null}
      {upload.data ? <SettlementResult report={upload.data} /> : null}
    </Card>
  );
}

function SettlementResult({ report }: { report: SettlementReport }) {
  const t = useT();
  const f = useFormats();
  const mismatched = paymentOutcomes
    .filter((o) => o !== 'matched')
    .reduce((sum, o) => sum + (report.outcomes[o] ?? 0), 0);
  return (
    <div role="status" data-testid="settlement-result">
      <p>
        {t('settlement.done', {
          file: report.fileName,
          rows: report.rows,
          recorded: report.recorded,
          already: report.alreadyRecorded,
        })}
      </p>
      <dl className="counts">
        {paymentOutcomes
          .filter((o) => report.outcomes[o])
          .map((o) => (
            <div key={o}>
              <dt>{t(`payment_outcome.${o}`)}</dt>
              <dd>{f.number(report.outcomes[o]!)}</dd>
            </div>
          ))}
      </dl>
      {mismatched > 0 ? (
        <p>
          {t('settlement.to_decide', { count: mismatched })}{' '}
          <Link href="/exceptions">{t('nav.exceptions')}</Link>
        </p>
      ) : null}
    </div>
  );
}
