import { toJsonb } from '../db/json.ts';
import type { Executor } from '../db/tenant.ts';

export interface AuditEntry {
  accountId?: bigint | null;
  actorUserId?: bigint | null;
  actorTokenId?: bigint | null;
  action: string;
  target?: string | null;
  outcome?: 'ok' | 'denied' | 'failed';
  ip?: string | null;
  details?: Record<string, unknown>;
}

/** Appends to the audit log; the application role can insert and read, never change or delete. */
export async function appendAudit(db: Executor, entry: AuditEntry): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      account_id: entry.accountId ?? null,
      actor_user_id: entry.actorUserId ?? null,
      actor_token_id: entry.actorTokenId ?? null,
      action: entry.action,
      target: entry.target ?? null,
      outcome: entry.outcome ?? 'ok',
      ip: entry.ip ?? null,
      details: toJsonb(entry.details ?? {}),
    })
    .execute();
}

export function listAudit(trx: Executor, accountId: bigint, options: { limit: number; before?: bigint }) {
  let query = trx
    .selectFrom('audit_log')
    .select(['id', 'at', 'actor_user_id', 'actor_token_id', 'action', 'target', 'outcome', 'ip', 'details'])
    .where('account_id', '=', accountId)
    .orderBy('id', 'desc')
    .limit(options.limit);
  if (options.before !== undefined) query = query.where('id', '<', options.before);
  return query.execute();
}
