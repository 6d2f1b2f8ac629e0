import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { del, get, post, query } from '../api.ts';
import { type Column, DataTable } from '../components/data-table.tsx';
import { EmptyState } from '../components/empty-state.tsx';
import { QueryList } from '../components/query-list.tsx';
import { useFormats, useT } from '../locale.tsx';
import { useCursorPages } from '../paging.ts';
import { useSession } from '../session.tsx';
import { roles } from '../types.ts';
import { Card, ErrorMessage } from '../ui.tsx';

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
  const tokenColumns: Column<Token>[] = [
    {
      key: 'name',
      header: t('settings.token_name'),
      cell: (k) => (
        <>
          {k.name} <code dir="ltr">{k.prefix}…</code>
        </>
      ),
    },
    { key: 'role', header: t('settings.role'), cell: (k) => t(`role.${k.role}`) },
    {
      key: 'last-used',
      header: t('settings.last_used'),
      cell: (k) => (k.lastUsedAt ? f.dateTime(k.lastUsedAt) : '—'),
    },
    {
      key: 'actions',
      header: t('settings.actions'),
      cell: (k) =>
        k.revokedAt ? (
          t('settings.revoked')
        ) : (
          <button type="button" onClick={() => revoke.mutate(k.id)}>
            {t('settings.revoke')}
          </button>
        ),
    },
  ];
  return (
    <Card title={t('settings.tokens')}>
      <QueryList
        query={tokens}
        rows={(d) => d.tokens}
        empty={
          <EmptyState title={t('settings.no_tokens')}>
            <p>{t('settings.no_tokens_next')}</p>
          </EmptyState>
        }
      >
        {(rows) => <DataTable rows={rows} columns={tokenColumns} rowKey={(k) => k.id} testId="tokens" />}
      </QueryList>
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

const AUDIT_PAGE = 50;

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
  const pages = useCursorPages();
  const audit = useQuery({
    queryKey: ['audit', pages.after],
    queryFn: () =>
      get<{ entries: AuditEntry[] }>(`/account/audit${query({ limit: AUDIT_PAGE, before: pages.after })}`),
    placeholderData: (previous) => previous,
  });
  const auditColumns: Column<AuditEntry>[] = [
    { key: 'when', header: t('settings.when'), cell: (e) => f.dateTime(e.at) },
    {
      key: 'action',
      header: t('settings.action'),
      className: 'mono',
      cell: (e) => <span dir="ltr">{e.action}</span>,
    },
    {
      key: 'target',
      header: t('settings.target'),
      className: 'mono',
      cell: (e) => <span dir="ltr">{e.target ?? ''}</span>,
    },
    { key: 'outcome', header: t('settings.outcome'), cell: (e) => e.outcome },
  ];
  return (
    <Card title={t('settings.audit')}>
      <QueryList
        query={audit}
        rows={(d) => d.entries}
        // The log pages by the oldest entry shown; a short page is the last.
        nextCursor={(d) => (d.entries.length < AUDIT_PAGE ? null : d.entries.at(-1)?.id)}
        pages={pages}
        empty={<EmptyState title={t('settings.no_audit')} />}
      >
        {(rows) => <DataTable rows={rows} columns={auditColumns} rowKey={(e) => e.id} testId="audit" />}
      </QueryList>
    </Card>
  );
}
