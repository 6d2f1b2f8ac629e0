import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { del, get, post, query } from '../api.ts';
import { EmptyState } from '../components/empty-state.tsx';
import { useFormats, useT } from '../locale.tsx';
import { useSession } from '../session.tsx';
import { roles } from '../types.ts';
import { Card, ErrorMessage, Loading, TableScroll } from '../ui.tsx';

interface Token {
  id: string;
  name: string;
  role: string;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export function Tokens() {
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
        <EmptyState title={t('settings.no_tokens')}>
          <p>{t('settings.no_tokens_next')}</p>
        </EmptyState>
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

export function Audit() {
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
        <EmptyState title={t('settings.no_audit')} />
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
