import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { toAsciiDigits } from '../../../server/sheets/normalise.ts';
import { get, post, query } from '../api.ts';
import { FilterSelect } from '../components/filter-select.tsx';
import { useT } from '../locale.tsx';
import type { Vehicle } from '../types.ts';
import { Card, ErrorMessage } from '../ui.tsx';
import { type IssueOutcome, PaymentNumberSummary } from './payment-parts.tsx';

type Scope = 'cost_centre' | 'vehicles' | 'tickets';
type Kind = 'consolidated' | 'vehicle' | 'violation';

/** A pasted list (plates or tickets): one per line or separated by commas/semicolons. */
const listOf = (text: string, max: number) =>
  [
    ...new Set(
      text
        .split(/[\n,;،]+/)
        .map((p) => p.trim())
        .filter(Boolean),
    ),
  ].slice(0, max);
const platesOf = (text: string) => listOf(text, 200);
/** Ticket numbers as the authority writes them, whatever digits they were typed in. */
const ticketsOf = (text: string) => listOf(toAsciiDigits(text), 200);

/** The vehicle a plate names, found by the server's plate search (any written form), or null. */
async function vehicleOf(plate: string): Promise<Vehicle | null> {
  const found = await get<{ vehicles: Vehicle[] }>(`/vehicles${query({ q: plate, limit: 2 })}`);
  return found.vehicles.length === 1 ? found.vehicles[0]! : null;
}

/** Payment numbers for part of the fleet: one cost centre or a list of plates, per vehicle or one in all. */
export function IssueForSelection() {
  const t = useT();
  const client = useQueryClient();
  const [scope, setScope] = useState<Scope>('cost_centre');
  const [kind, setKind] = useState<Kind>('consolidated');
  const [costCentre, setCostCentre] = useState('');
  const [plates, setPlates] = useState('');
  const [tickets, setTickets] = useState('');
  const [unknown, setUnknown] = useState<string[]>([]);
  const issue = useMutation({
    mutationFn: async (): Promise<IssueOutcome | null> => {
      setUnknown([]);
      let selection: Record<string, unknown>;
      if (scope === 'cost_centre') {
        selection = { scope, costCentre: costCentre.trim() };
      } else if (scope === 'tickets') {
        selection = { scope, ticketNumbers: ticketsOf(tickets) };
      } else {
        const list = platesOf(plates);
        const vehicles = await Promise.all(list.map(vehicleOf));
        const missing = list.filter((_, i) => !vehicles[i]);
        if (missing.length > 0) {
          setUnknown(missing);
          return null;
        }
        selection = { scope, vehicleIds: vehicles.map((v) => v!.id) };
      }
      return post<IssueOutcome>('/payment-numbers', { kind, selection });
    },
    onSuccess: () => client.invalidateQueries({ queryKey: ['payment-numbers'] }),
  });
  const ready =
    scope === 'cost_centre'
      ? costCentre.trim() !== ''
      : scope === 'tickets'
        ? ticketsOf(tickets).length > 0
        : platesOf(plates).length > 0;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (ready) issue.mutate();
  };
  return (
    <Card title={t('payments.selection_title')}>
      <p className="hint">{t('payments.selection_text')}</p>
      <form className="filters" onSubmit={submit} data-testid="issue-selection">
        <FilterSelect
          label={t('payments.selection_scope')}
          name="scope"
          value={scope}
          options={[
            { value: 'cost_centre', label: t('payments.scope_cost_centre') },
            { value: 'vehicles', label: t('payments.scope_vehicles') },
            { value: 'tickets', label: t('payments.scope_tickets') },
          ]}
          onChange={(value) => setScope(value as Scope)}
        />
        {scope === 'cost_centre' ? (
          <label>
            {t('fleet.cost_centre')}
            <input
              type="text"
              name="costCentre"
              dir="auto"
              required
              maxLength={200}
              value={costCentre}
              onChange={(e) => setCostCentre(e.target.value)}
            />
          </label>
        ) : scope === 'tickets' ? (
          <label>
            {t('payments.tickets')}
            <textarea
              name="tickets"
              dir="ltr"
              rows={3}
              required
              value={tickets}
              onChange={(e) => setTickets(e.target.value)}
            />
          </label>
        ) : (
          <label>
            {t('payments.plates')}
            <textarea
              name="plates"
              dir="auto"
              rows={3}
              required
              value={plates}
              onChange={(e) => setPlates(e.target.value)}
            />
          </label>
        )}
        <FilterSelect
          label={t('payments.selection_kind')}
          name="kind"
          value={kind}
          options={[
            { value: 'consolidated', label: t('payments.kind_consolidated') },
            { value: 'vehicle', label: t('payments.kind_vehicle') },
            { value: 'violation', label: t('payments.kind_violation') },
          ]}
          onChange={(value) => setKind(value as Kind)}
        />
        <div className="actions">
          <button type="submit" disabled={issue.isPending || !ready}>
            {issue.isPending ? t('payments.issuing') : t('payments.issue_selection')}
          </button>
        </div>
      </form>
      {unknown.length > 0 ? (
        <p className="error" role="alert">
          {t('payments.unknown_plates', { count: unknown.length })}{' '}
          <span dir="ltr">{unknown.join(', ')}</span>
        </p>
      ) : null}
      <ErrorMessage error={issue.error} />
      {issue.data ? <PaymentNumberSummary outcome={issue.data} /> : null}
      {issue.data?.notPayable?.length ? (
        <p className="warn" role="alert">
          {t('payments.tickets_not_payable', { count: issue.data.notPayable.length })}{' '}
          <span dir="ltr">{issue.data.notPayable.join(', ')}</span>
        </p>
      ) : null}
    </Card>
  );
}
