import { useMutation, useQueryClient } from '@tanstack/react-query';
import { del } from '../api.ts';
import { type Column, DataTable } from '../components/data-table.tsx';
import { useFormats, useT } from '../locale.tsx';
import { useSession } from '../session.tsx';
import { ErrorMessage } from '../ui.tsx';

export interface Invitation {
  id: string;
  email: string;
  role: string;
  invitedAt: string;
  expiresAt: string;
}

/** Invitations still waiting for an answer, each of which an owner may withdraw. */
export function PendingInvitations({ invitations }: { invitations: Invitation[] }) {
  const t = useT();
  const { account } = useSession();
  const f = useFormats(account);
  const client = useQueryClient();
  const withdraw = useMutation({
    mutationFn: (id: string) => del(`/account/invitations/${id}`),
    onSuccess: () => client.invalidateQueries({ queryKey: ['users'] }),
  });
  if (invitations.length === 0) return null;
  const columns: Column<Invitation>[] = [
    {
      key: 'email',
      header: t('settings.person'),
      cell: (i) => <span dir="ltr">{i.email}</span>,
    },
    { key: 'role', header: t('settings.role'), cell: (i) => t(`role.${i.role}`) },
    { key: 'invited', header: t('settings.invited_at'), cell: (i) => f.dateTime(i.invitedAt) },
    { key: 'expires', header: t('settings.invitation_expires'), cell: (i) => f.dateTime(i.expiresAt) },
    {
      key: 'withdraw',
      header: t('settings.actions'),
      cell: (i) => (
        <button
          type="button"
          onClick={() => withdraw.mutate(i.id)}
          disabled={withdraw.isPending}
          aria-label={t('settings.withdraw_of', { email: i.email })}
        >
          {t('settings.withdraw')}
        </button>
      ),
    },
  ];
  return (
    <section aria-labelledby="pending-invitations">
      <h3 id="pending-invitations">{t('settings.pending_invitations')}</h3>
      <DataTable rows={invitations} columns={columns} rowKey={(i) => i.id} testId="invitations" />
      <ErrorMessage error={withdraw.error} />
    </section>
  );
}
