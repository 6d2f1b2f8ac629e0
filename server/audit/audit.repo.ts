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

const auditRow = (entry: AuditEntry) => ({
  account_id: entry.accountId ?? null,
  actor_user_id: entry.actorUserId ?? null,
  actor_token_id: entry.actorTokenId ?? null,
  action: entry.action,
  target: entry.target ?? null,
  outcome: entry.outcome ?? 'ok',
  ip: entry.ip ?? null,
  details: toJsonb(entry.details ?? {}),
});

/** Appends to the audit log in one statement; the application role can insert and read, never change or delete. */
export async function appendAudit(db: Executor, ...entries: AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await db.insertInto('audit_log').values(entries.map(auditRow)).execute();
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
