import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useState } from 'react';
import { ApiError, del, get, post, query, request } from '../api.ts';
import { type Column, DataTable } from '../components/data-table.tsx';
import { EmptyState } from '../components/empty-state.tsx';
import { FilterSelect } from '../components/filter-select.tsx';
import { QueryList } from '../components/query-list.tsx';
import { reasonIn } from '../errors.ts';
import { useFormats, usePreferences, useT } from '../locale.tsx';
import { useSession } from '../session.tsx';
import { Badge, Card, ErrorMessage, Loading } from '../ui.tsx';

interface Recipient {
  id: string;
  channel: 'email' | 'sms' | 'webhook';
  role: string | null;
  address: string | null;
  language: 'ar' | 'en';
}
interface Settings {
  horizonDays: number;
  dailyAllClear: boolean;
  quietHours: { start: string; end: string } | null;
  recipients: Recipient[];
}
interface Digest {
  id: string;
  runId: string | null;
  kind: 'run' | 'all_clear' | 'test';
  channel: string;
  destination: string;
  status: 'pending' | 'sending' | 'sent' | 'dead';
  attempts: number;
  lastError: string | null;
  lastErrorAr?: string | null;
  createdAt: string;
}
interface Inbox {
  email: Array<{
    messageId: string;
    to: string;
    subject: string;
    text: string;
    language: string;
    receivedAt: string;
  }>;
  sms: Array<{
    reference: string;
    to: string;
    text: string;
    segments: number;
    encoding: string;
    receivedAt: string;
  }>;
}

/** An alerts refusal carries its sentence in both languages; other errors go the usual way. */
function Refusal({ error }: { error: unknown }) {
  const { language } = usePreferences();
  const words =
    error instanceof ApiError
      ? (error.details as { message?: Record<string, string> } | null)?.message
      : undefined;
  if (words?.[language]) {
    return (
      <p className="error" role="alert">
        {words[language]}
      </p>
    );
  }
  return <ErrorMessage error={error} />;
}

export default function Alerts() {
  const t = useT();
  const { may } = useSession();
  if (!may('account.manage')) return <p className="error">{t('error.forbidden')}</p>;
  return (
    <div className="page">
      <h1>{t('alerts.page_title')}</h1>
      <p className="muted">{t('alerts.page_intro')}</p>
      <SettingsCard />
      <RecipientsCard />
      <OutboxCard />
      <InboxCard />
    </div>
  );
}

function SettingsCard() {
  const t = useT();
  const client = useQueryClient();
  const settings = useQuery({
    queryKey: ['alerts', 'settings'],
    queryFn: () => get<Settings>('/alerts/settings'),
  });
  const [horizon, setHorizon] = useState('7');
  const [allClear, setAllClear] = useState(false);
  const [quietStart, setQuietStart] = useState('');
  const [quietEnd, setQuietEnd] = useState('');
  useEffect(() => {
    if (!settings.data) return;
    setHorizon(String(settings.data.horizonDays));
    setAllClear(settings.data.dailyAllClear);
    setQuietStart(settings.data.quietHours?.start ?? '');
    setQuietEnd(settings.data.quietHours?.end ?? '');
  }, [settings.data]);
  const save = useMutation({
    mutationFn: () =>
      request<Settings>('PUT', '/alerts/settings', {
        horizonDays: Number(horizon),
        dailyAllClear: allClear,
        quietHours: quietStart || quietEnd ? { start: quietStart, end: quietEnd } : null,
      }),
    onSuccess: () => client.invalidateQueries({ queryKey: ['alerts', 'settings'] }),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  if (settings.isPending) return <Loading />;
  if (settings.isError) return <ErrorMessage error={settings.error} />;
  return (
    <Card title={t('alerts.page_settings')}>
      <form className="form compact" onSubmit={submit}>
        <label>
          {t('alerts.page_horizon')}
          <input
            type="number"
            min={1}
            max={60}
            value={horizon}
            onChange={(e) => setHorizon(e.target.value)}
          />
        </label>
        <label className="confirm">
          <input type="checkbox" checked={allClear} onChange={(e) => setAllClear(e.target.checked)} />{' '}
          {t('alerts.page_all_clear')}
        </label>
        <label>
          {t('alerts.page_quiet_start')}
          <input type="time" value={quietStart} onChange={(e) => setQuietStart(e.target.value)} />
        </label>
        <label>
          {t('alerts.page_quiet_end')}
          <input type="time" value={quietEnd} onChange={(e) => setQuietEnd(e.target.value)} />
        </label>
        <p className="muted small">{t('alerts.page_quiet_hint')}</p>
        <Refusal error={save.error} />
        {save.isSuccess ? <p role="status">{t('alerts.page_saved')}</p> : null}
        <button type="submit" disabled={save.isPending}>
          {t('alerts.page_save')}
        </button>
      </form>
    </Card>
  );
}

function RecipientsCard() {
  const t = useT();
  const client = useQueryClient();
  const settings = useQuery({
    queryKey: ['alerts', 'settings'],
    queryFn: () => get<Settings>('/alerts/settings'),
  });
  const [channel, setChannel] = useState<'email' | 'sms' | 'webhook'>('email');
  const [byRole, setByRole] = useState(true);
  const [role, setRole] = useState('owner');
  const [address, setAddress] = useState('');
  const [language, setLanguage] = useState<'ar' | 'en'>('ar');
  const [note, setNote] = useState<string | null>(null);
  const refresh = () => client.invalidateQueries({ queryKey: ['alerts'] });
  const add = useMutation({
    mutationFn: () =>
      post<{ secret: string | null }>(
        '/alerts/recipients',
        channel === 'email' && byRole ? { channel, role, language } : { channel, address, language },
      ),
    onSuccess: (added) => {
      setAddress('');
      setNote(added.secret ? t('alerts.page_secret', { secret: added.secret }) : null);
      refresh();
    },
  });
  const remove = useMutation({
    mutationFn: (id: string) => del(`/alerts/recipients/${id}`),
    onSuccess: refresh,
  });
  const test = useMutation({
    mutationFn: (id: string) => post(`/alerts/recipients/${id}/test`),
    onSuccess: () => {
      setNote(t('alerts.page_test_queued'));
      refresh();
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    add.mutate();
  };
  return (
    <Card title={t('alerts.page_recipients')}>
      {settings.data && settings.data.recipients.length === 0 ? (
        <EmptyState title={t('alerts.page_no_recipients')} />
      ) : null}
      <ul>
        {settings.data?.recipients.map((r) => (
          <li key={r.id}>
            {t(`alerts.page_channel_${r.channel}`)} ·{' '}
            {r.role ? t(`role.${r.role}`) : <bdi dir="ltr">{r.address}</bdi>} · {r.language.toUpperCase()}{' '}
            <button type="button" onClick={() => test.mutate(r.id)} disabled={test.isPending}>
              {t('alerts.page_test')}
            </button>{' '}
            <button type="button" onClick={() => remove.mutate(r.id)} disabled={remove.isPending}>
              {t('alerts.page_remove')}
            </button>
          </li>
        ))}
      </ul>
      {note ? (
        <p role="status" className="break">
          {note}
        </p>
      ) : null}
      <Refusal error={test.error ?? remove.error} />
      <form className="form inline-form" onSubmit={submit}>
        <label>
          {t('alerts.page_channel')}
          <select value={channel} onChange={(e) => setChannel(e.target.value as typeof channel)}>
            <option value="email">{t('alerts.page_channel_email')}</option>
            <option value="sms">{t('alerts.page_channel_sms')}</option>
            <option value="webhook">{t('alerts.page_channel_webhook')}</option>
          </select>
        </label>
        {channel === 'email' ? (
          <label>
            {t('alerts.page_who')}
            <select
              value={byRole ? 'role' : 'address'}
              onChange={(e) => setByRole(e.target.value === 'role')}
            >
              <option value="role">{t('alerts.page_by_role')}</option>
              <option value="address">{t('alerts.page_by_address')}</option>
            </select>
          </label>
        ) : null}
        {channel === 'email' && byRole ? (
          <label>
            {t('alerts.page_role')}
            <select value={role} onChange={(e) => setRole(e.target.value)}>
              {['owner', 'fleet_admin', 'accountant', 'viewer'].map((r) => (
                <option key={r} value={r}>
                  {t(`role.${r}`)}
                </option>
              ))}
            </select>
          </label>
        ) : (
          <label>
            {t('alerts.page_address')}
            <input dir="ltr" value={address} onChange={(e) => setAddress(e.target.value)} required />
          </label>
        )}
        <label>
          {t('alerts.page_language')}
          <select value={language} onChange={(e) => setLanguage(e.target.value as 'ar' | 'en')}>
            <option value="ar">العربية</option>
            <option value="en">English</option>
          </select>
        </label>
        <button type="submit" disabled={add.isPending}>
          {t('alerts.page_add')}
        </button>
      </form>
      <Refusal error={add.error} />
    </Card>
  );
}

const digestStatuses = ['pending', 'sending', 'sent', 'dead'] as const;

function OutboxCard() {
  const t = useT();
  const { language } = usePreferences();
  const client = useQueryClient();
  const { account } = useSession();
  const f = useFormats(account);
  const [status, setStatus] = useState('');
  const outbox = useQuery({
    queryKey: ['alerts', 'outbox', status],
    queryFn: () =>
      get<{ digests: Digest[] }>(`/alerts/outbox${query({ status: status || undefined, limit: 50 })}`),
    refetchInterval: 5000,
  });
  const resend = useMutation({
    mutationFn: (id: string) => post(`/alerts/outbox/${id}/resend`),
    onSuccess: () => client.invalidateQueries({ queryKey: ['alerts', 'outbox'] }),
  });
  const columns: Column<Digest>[] = [
    { key: 'created', header: t('alerts.page_col_created'), cell: (d) => f.dateTime(d.createdAt) },
    { key: 'kind', header: t('alerts.page_col_kind'), cell: (d) => t(`alerts.page_kind_${d.kind}`) },
    { key: 'channel', header: t('alerts.page_channel'), cell: (d) => t(`alerts.page_channel_${d.channel}`) },
    {
      key: 'destination',
      header: t('alerts.page_col_destination'),
      cell: (d) => <bdi dir="ltr">{d.destination}</bdi>,
    },
    {
      key: 'status',
      header: t('alerts.page_status'),
      cell: (d) => (
        <>
          <Badge kind={d.status === 'dead' ? 'warn' : d.status === 'sent' ? 'ok' : 'muted'}>
            {t(`alerts.page_status_${d.status}`)}
          </Badge>{' '}
          {t('alerts.page_attempts', { count: d.attempts })}
          {d.lastError && d.status !== 'sent' ? (
            <div className="muted small">
              <bdi>{reasonIn(language, d.lastError, d.lastErrorAr)}</bdi>
            </div>
          ) : null}
        </>
      ),
    },
    {
      key: 'actions',
      header: t('alerts.page_col_actions'),
      cell: (d) =>
        d.status === 'dead' || d.status === 'sent' ? (
          <button type="button" onClick={() => resend.mutate(d.id)} disabled={resend.isPending}>
            {t('alerts.page_resend')}
          </button>
        ) : null,
    },
  ];
  return (
    <Card title={t('alerts.page_outbox')}>
      <div className="filters">
        <FilterSelect
          label={t('alerts.page_status')}
          value={status}
          all={t('alerts.page_status_all')}
          options={digestStatuses.map((s) => ({ value: s, label: t(`alerts.page_status_${s}`) }))}
          onChange={setStatus}
        />
      </div>
      <Refusal error={resend.error} />
      <QueryList
        query={outbox}
        rows={(d) => d.digests}
        empty={<EmptyState title={t('alerts.page_outbox_empty')} />}
      >
        {(rows) => <DataTable rows={rows} columns={columns} rowKey={(d) => d.id} />}
      </QueryList>
    </Card>
  );
}

function InboxCard() {
  const t = useT();
  const { account } = useSession();
  const f = useFormats(account);
  const inbox = useQuery({
    queryKey: ['alerts', 'inbox'],
    queryFn: () => get<Inbox>('/alerts/inbox'),
    refetchInterval: 5000,
  });
  if (!inbox.data) return null;
  const { email, sms } = inbox.data;
  return (
    <Card title={t('alerts.page_inbox')}>
      {email.length === 0 && sms.length === 0 ? <EmptyState title={t('alerts.page_inbox_empty')} /> : null}
      {email.slice(0, 5).map((m) => (
        <details key={m.messageId}>
          <summary>
            {f.dateTime(m.receivedAt)} · <bdi dir="ltr">{m.to}</bdi> · <bdi>{m.subject}</bdi>
          </summary>
          <pre className="break" dir={m.language === 'ar' ? 'rtl' : 'ltr'}>
            {m.text}
          </pre>
        </details>
      ))}
      {sms.slice(0, 5).map((s) => (
        <details key={s.reference}>
          <summary>
            {f.dateTime(s.receivedAt)} · SMS <bdi dir="ltr">{s.to}</bdi> · {s.segments} × {s.encoding}
          </summary>
          <pre className="break" dir="auto">
            {s.text}
          </pre>
        </details>
      ))}
    </Card>
  );
}
