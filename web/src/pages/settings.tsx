import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { del, get, patch, post, query } from '../api.ts';
import { useFormats, usePreferences, useT } from '../locale.tsx';
import { type Account, useSession } from '../session.tsx';
import { Card, Empty, ErrorMessage, Loading, TableScroll } from '../ui.tsx';

const roles = ['owner', 'fleet_admin', 'accountant', 'viewer'] as const;

export default function Settings() {
  const t = useT();
  const { may } = useSession();
  return (
    <div className="page">
      <h1>{t('settings.title')}</h1>
      <DisplaySettings />
      {may('account.manage') ? <NightlyRun /> : null}
      {may('users.manage') ? <Users /> : null}
      {may('tokens.manage') ? <Tokens /> : null}
      {may('audit.read') ? <Audit /> : null}
    </div>
  );
}

function DisplaySettings() {
  const t = useT();
  const { language, digits, setLanguage, setDigits } = usePreferences();
  return (
    <Card title={t('settings.display')}>
      <div className="filters">
        <label>
          {t('settings.language')}
          <select value={language} onChange={(e) => setLanguage(e.target.value as 'ar' | 'en')}>
            <option value="ar">العربية</option>
            <option value="en">English</option>
          </select>
        </label>
        <label>
          {t('settings.digits')}
          <select value={digits} onChange={(e) => setDigits(e.target.value as 'latn' | 'arab')}>
            <option value="latn">{t('settings.digits_latn')}</option>
            <option value="arab">{t('settings.digits_arab')}</option>
          </select>
        </label>
      </div>
    </Card>
  );
}

function NightlyRun() {
  const t = useT();
  const client = useQueryClient();
  const { account } = useSession();
  const [time, setTime] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: (nightlyRunTime: string) => patch<Account>('/account', { nightlyRunTime }),
    onSuccess: (a) => {
      client.setQueryData(['account', a.id], a);
      client.invalidateQueries({ queryKey: ['dashboard'] });
    },
  });
  if (!account) return null;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (time) save.mutate(time);
  };
  return (
    <Card title={t('settings.nightly')}>
      <form className="form inline-form" onSubmit={submit}>
        <label>
          {t('settings.nightly_time', { zone: account.timeZone })}
          <input
            type="time"
            required
            value={time ?? account.nightlyRunTime}
            onChange={(e) => setTime(e.target.value)}
          />
        </label>
        <button type="submit" disabled={save.isPending}>
          {t('settings.save')}
        </button>
        {save.isSuccess ? <span role="status">{t('settings.saved')}</span> : null}
        <ErrorMessage error={save.error} />
      </form>
    </Card>
  );
}

interface Member {
  userId: string;
  email: string;
  displayName: string;
  status: string;
  role: string;
}

function Users() {
  const t = useT();
  const client = useQueryClient();
  const { me } = useSession();
  const users = useQuery({ queryKey: ['users'], queryFn: () => get<{ users: Member[] }>('/account/users') });
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<string>('viewer');
  const [invitationLink, setInvitationLink] = useState<string | null>(null);
  const refresh = () => client.invalidateQueries({ queryKey: ['users'] });
  const invite = useMutation({
    mutationFn: () =>
      post<{ invitation: { token: string } | null }>('/account/users', { email: email.trim(), role }),
    onSuccess: (r) => {
      setEmail('');
      setInvitationLink(
        r.invitation ? `${location.origin}/invitation?token=${encodeURIComponent(r.invitation.token)}` : null,
      );
      refresh();
    },
  });
  const change = useMutation({
    mutationFn: ({ userId, role }: { userId: string; role: string }) =>
      patch(`/account/users/${userId}`, { role }),
    onSuccess: refresh,
  });
  const remove = useMutation({
    mutationFn: (userId: string) => del(`/account/users/${userId}`),
    onSuccess: refresh,
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    invite.mutate();
  };
  return (
    <Card title={t('settings.users')}>
      {users.isPending ? (
        <Loading />
      ) : users.isError ? (
        <ErrorMessage error={users.error} />
      ) : (
        <TableScroll>
          <table>
            <thead>
              <tr>
                <th scope="col">{t('settings.person')}</th>
                <th scope="col">{t('settings.role')}</th>
                <th scope="col">{t('settings.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {users.data.users.map((u) => (
                <tr key={u.userId}>
                  <td>
                    {u.displayName || u.email}{' '}
                    <span className="muted small" dir="ltr">
                      {u.email}
                    </span>
                    {u.status !== 'active' ? <span className="muted"> · {t('settings.invited')}</span> : null}
                  </td>
                  <td>
                    <select
                      aria-label={t('settings.role_of', { name: u.email })}
                      value={u.role}
                      disabled={u.userId === me.user.id}
                      onChange={(e) => change.mutate({ userId: u.userId, role: e.target.value })}
                    >
                      {roles.map((r) => (
                        <option key={r} value={r}>
                          {t(`role.${r}`)}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td>
                    {u.userId !== me.user.id ? (
                      <button type="button" onClick={() => remove.mutate(u.userId)}>
                        {t('settings.remove')}
                      </button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      <ErrorMessage error={change.error ?? remove.error} />
      <form className="form inline-form" onSubmit={submit}>
        <label>
          {t('settings.invite_email')}
          <input type="email" required dir="ltr" value={email} onChange={(e) => setEmail(e.target.value)} />
        </label>
        <label>
          {t('settings.role')}
          <select value={role} onChange={(e) => setRole(e.target.value)}>
            {roles.map((r) => (
              <option key={r} value={r}>
                {t(`role.${r}`)}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" disabled={invite.isPending}>
          {t('settings.invite')}
        </button>
      </form>
      <ErrorMessage error={invite.error} />
      {invitationLink ? (
        <p role="status">
          {t('settings.invitation_link')}{' '}
          <code dir="ltr" className="break">
            {invitationLink}
          </code>
        </p>
      ) : invite.isSuccess ? (
        <p role="status">{t('settings.added')}</p>
      ) : null}
    </Card>
  );
}

interface Token {
  id: string;
  name: string;
  role: string;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

function Tokens() {
  const t = useT();
  const client = useQueryClient();
  const { account } = useSession();
  const f = useFormats(account);
  const tokens = useQuery({
    queryKey: ['tokens'],
    queryFn: () => get<{ tokens: Token[] }>('/account/tokens'),
  });
  const [name, setName] = useState('');
  const [role, setRole] = useState('viewer');
  const [secret, setSecret] = useState<string | null>(null);
  const create = useMutation({
    mutationFn: () => post<{ token: string }>('/account/tokens', { name: name.trim(), role }),
    onSuccess: (r) => {
      setSecret(r.token);
      setName('');
      client.invalidateQueries({ queryKey: ['tokens'] });
    },
  });
  const revoke = useMutation({
    mutationFn: (id: string) => del(`/account/tokens/${id}`),
    onSuccess: () => client.invalidateQueries({ queryKey: ['tokens'] }),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  return (
    <Card title={t('settings.tokens')}>
      {tokens.isPending ? (
        <Loading />
      ) : tokens.isError ? (
        <ErrorMessage error={tokens.error} />
      ) : tokens.data.tokens.length === 0 ? (
        <Empty title={t('settings.no_tokens')}>
          <p>{t('settings.no_tokens_next')}</p>
        </Empty>
      ) : (
        <TableScroll>
          <table>
            <thead>
              <tr>
                <th scope="col">{t('settings.token_name')}</th>
                <th scope="col">{t('settings.role')}</th>
                <th scope="col">{t('settings.last_used')}</th>
                <th scope="col">{t('settings.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {tokens.data.tokens.map((k) => (
                <tr key={k.id}>
                  <td>
                    {k.name} <code dir="ltr">{k.prefix}…</code>
                  </td>
                  <td>{t(`role.${k.role}`)}</td>
                  <td>{k.lastUsedAt ? f.dateTime(k.lastUsedAt) : '—'}</td>
                  <td>
                    {k.revokedAt ? (
                      t('settings.revoked')
                    ) : (
                      <button type="button" onClick={() => revoke.mutate(k.id)}>
                        {t('settings.revoke')}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      <form className="form inline-form" onSubmit={submit}>
        <label>
          {t('settings.token_name')}
          <input required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <label>
          {t('settings.role')}
          <select value={role} onChange={(e) => setRole(e.target.value)}>
            {roles.map((r) => (
              <option key={r} value={r}>
                {t(`role.${r}`)}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" disabled={create.isPending}>
          {t('settings.create_token')}
        </button>
      </form>
      <ErrorMessage error={create.error ?? revoke.error} />
      {secret ? (
        <p role="status">
          {t('settings.token_once')}{' '}
          <code dir="ltr" className="break">
            {secret}
          </code>
        </p>
      ) : null}
    </Card>
  );
}

interface AuditEntry {
  id: string;
  at: string;
  actorUserId: string | null;
  actorTokenId: string | null;
  action: string;
  target: string | null;
  outcome: string;
  ip: string | null;
}

function Audit() {
  const t = useT();
  const { account } = useSession();
  const f = useFormats(account);
  const [before, setBefore] = useState<string[]>([]);
  const audit = useQuery({
    queryKey: ['audit', before.at(-1)],
    queryFn: () =>
      get<{ entries: AuditEntry[] }>(`/account/audit${query({ limit: 50, before: before.at(-1) })}`),
    placeholderData: (previous) => previous,
  });
  return (
    <Card title={t('settings.audit')}>
      {audit.isPending ? (
        <Loading />
      ) : audit.isError ? (
        <ErrorMessage error={audit.error} />
      ) : audit.data.entries.length === 0 ? (
        <Empty title={t('settings.no_audit')} />
      ) : (
        <>
          <TableScroll>
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('settings.when')}</th>
                  <th scope="col">{t('settings.action')}</th>
                  <th scope="col">{t('settings.target')}</th>
                  <th scope="col">{t('settings.outcome')}</th>
                </tr>
              </thead>
              <tbody>
                {audit.data.entries.map((e) => (
                  <tr key={e.id}>
                    <td>{f.dateTime(e.at)}</td>
                    <td dir="ltr" className="mono">
                      {e.action}
                    </td>
                    <td dir="ltr" className="mono">
                      {e.target ?? ''}
                    </td>
                    <td>{e.outcome}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
          <nav className="pager" aria-label={t('common_ui.pages')}>
            <button
              type="button"
              disabled={before.length === 0}
              onClick={() => setBefore((b) => b.slice(0, -1))}
            >
              {t('common_ui.newer')}
            </button>
            <button
              type="button"
              disabled={audit.data.entries.length < 50}
              onClick={() => setBefore((b) => [...b, audit.data!.entries.at(-1)!.id])}
            >
              {t('common_ui.older')}
            </button>
          </nav>
        </>
      )}
    </Card>
  );
}
