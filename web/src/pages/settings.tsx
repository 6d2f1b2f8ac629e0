import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { del, get, patch, post } from '../api.ts';
import { usePreferences, useT } from '../locale.tsx';
import { type Account, useSession } from '../session.tsx';
import { roles } from '../types.ts';
import { Card, ErrorMessage, Loading, TableScroll } from '../ui.tsx';
import { Audit, Tokens } from './settings-access.tsx';
import { type Invitation, PendingInvitations } from './settings-invitations.tsx';
import { NetworkSecrets } from './settings-networks.tsx';

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
      {may('money.write') ? <NetworkSecrets /> : null}
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
  const users = useQuery({
    queryKey: ['users'],
    queryFn: () => get<{ users: Member[]; invitations: Invitation[] }>('/account/users'),
  });
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
      {users.data ? <PendingInvitations invitations={users.data.invitations} /> : null}
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
