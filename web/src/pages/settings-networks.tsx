import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { post } from '../api.ts';
import { useT } from '../locale.tsx';
import { Card, ErrorMessage } from '../ui.tsx';
import { type PaymentNetwork, paymentNetworks } from './payment-parts.tsx';

/** How long the secrets before a new one keep working, so the network can switch without losing a notification. */
const overlaps = [0, 3_600, 86_400, 7 * 86_400] as const;

/**
 * The secret a payment network signs this account's notifications with: a new one is shown once,
 * and the earlier ones keep working for the overlap chosen.
 */
export function NetworkSecrets() {
  const t = useT();
  const [network, setNetwork] = useState<PaymentNetwork>('generic');
  const [overlap, setOverlap] = useState<number>(86_400);
  const create = useMutation({
    mutationFn: () =>
      post<{ network: string; secret: string; previousValidForSeconds: number }>('/payments/secrets', {
        network,
        overlapSeconds: overlap,
      }),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  return (
    <Card title={t('networks.title')}>
      <p className="hint">{t('networks.text')}</p>
      <form className="form inline-form" onSubmit={submit}>
        <label>
          {t('networks.network')}
          <select value={network} onChange={(e) => setNetwork(e.target.value as PaymentNetwork)}>
            {paymentNetworks.map((n) => (
              <option key={n} value={n}>
                {t(`networks.network_${n}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('networks.overlap')}
          <select value={overlap} onChange={(e) => setOverlap(Number(e.target.value))}>
            {overlaps.map((seconds) => (
              <option key={seconds} value={seconds}>
                {t(`networks.overlap_${seconds}`)}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" disabled={create.isPending}>
          {t('networks.create')}
        </button>
      </form>
      <ErrorMessage error={create.error} />
      {create.data ? (
        <div role="status" data-testid="network-secret">
          <p>
            {t('networks.once', { network: t(`networks.network_${create.data.network}`) })}{' '}
            <code dir="ltr" className="break">
              {create.data.secret}
            </code>
          </p>
          <p className="hint">{t(`networks.overlap_done_${create.data.previousValidForSeconds}`)}</p>
        </div>
      ) : null}
    </Card>
  );
}
